import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELPER_CONTEXT_FILES, helperContextDir, helperImageTag, stressImageTag } from './helper-image';

describe('the stress image tag', () => {
  it('follows the helper image it is built on (a changed helper never runs under an old stress image)', () => {
    const dir = helperContextDir();
    const helper = helperImageTag(dir);
    expect(stressImageTag(helper, dir)).toMatch(/^gameday\/stress-helper:[0-9a-f]{12}$/);
    expect(stressImageTag(helper, dir)).toBe(stressImageTag(helper, dir));
    expect(stressImageTag('gameday/netem-helper:000000000000', dir)).not.toBe(stressImageTag(helper, dir));
  });
});

describe('the helper image context', () => {
  const dir = helperContextDir();
  // the Dockerfile's COPY lines from the context (not from a stage), continuations joined
  const copies = readFileSync(join(dir, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .map((line) => line.trim().split(/\s+/).slice(1));

  it('lists every file the Dockerfile copies: the tag hashes them, and only they reach the engine', () => {
    const copied = copies.flatMap((words) => words.slice(0, -1));
    expect(copied.filter((f) => !HELPER_CONTEXT_FILES.includes(f))).toEqual([]);
  });

  it('lists every file of the folder but the Dockerfiles of the images built on top of it', () => {
    const files = readdirSync(dir).filter((f) => !f.startsWith('Dockerfile.'));
    expect(files.filter((f) => !HELPER_CONTEXT_FILES.includes(f))).toEqual([]);
  });

  it('copies every part gameday-helper.sh sources to where it sources them from', () => {
    const script = readFileSync(join(dir, 'gameday-helper.sh'), 'utf8');
    const sourced = [...script.matchAll(/^\. "\$LIB\/([^"]+)"$/gm)].map((m) => m[1]);
    const inLib = copies
      .filter((words) => words.at(-1) === '/out/usr/local/lib/gameday/')
      .flatMap((w) => w.slice(0, -1));
    expect(sourced.length).toBeGreaterThan(0);
    expect(sourced.filter((f) => !inLib.includes(f))).toEqual([]);
    expect(inLib.filter((f) => !sourced.includes(f))).toEqual([]);
  });
});

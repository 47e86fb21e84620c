import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gameDaySpecSchema, listTemplates } from '@gameday/core';
import { CliError } from '../cli-error';
import type { Io } from '../cli-context';
import { EXIT } from '../exit-codes';
import { parseSpec, readSpecFile } from '../spec-file';
import { runNew } from './new.command';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const streams: Io = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  return { streams, out: () => out.join(''), err: () => err.join('') };
}

async function failure(p: Promise<unknown>): Promise<CliError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

describe('gameday new', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gameday-new-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--list names every template with its parameters and defaults', async () => {
    const o = io();
    expect(await runNew({ list: true }, 'human', o.streams)).toBe(EXIT.ok);
    for (const t of listTemplates()) expect(o.out()).toContain(`${t.name} (${t.kinds.join(', ')})\n  ${t.description}`);
    expect(o.out()).toContain('    delay=500ms  duration: netem delay added to every packet\n');
    expect(o.out()).toContain('    signal=KILL  string [KILL|TERM|INT|HUP|QUIT|USR1|USR2]: signal sent\n');
    const j = io();
    await runNew({ list: true }, 'json', j.streams);
    expect((JSON.parse(j.out()) as { name: string }[]).map((t) => t.name)).toEqual(listTemplates().map((t) => t.name));
  });

  it('prints YAML the CLI reads back as the same valid GameDay, with the --set values in place', async () => {
    const o = io();
    const code = await runNew(
      { template: 'service-latency', set: ['delay=200ms', 'target=api', 'probeUrl=http://front:8000/?timeout_ms=300'] },
      'human',
      o.streams,
    );
    expect(code).toBe(EXIT.ok);
    const spec = parseSpec(o.out(), 'yaml', 'stdout');
    const parsed = gameDaySpecSchema.parse(spec);
    expect(parsed.experiments[0].fault).toMatchObject({
      kind: 'network',
      target: { compose: { project: 'gameday', service: 'api' } },
      netem: { delay: '200ms', jitter: '100ms' },
    });
    expect(parsed.experiments[0].load?.url).toBe('http://front:8000/?timeout_ms=300');
    expect(parsed.schedule).toMatchObject({ at: '2030-01-01T10:00:00.000Z' });
  });

  it('-o writes JSON or YAML by extension, and keeps an existing file unless --force', async () => {
    const json = join(dir, 'db.json');
    const yaml = join(dir, 'db.yaml');
    await runNew({ template: 'database-unreachable', set: ['port=6432'], out: json }, 'human', io().streams);
    await runNew({ template: 'database-unreachable', set: ['port=6432'], out: yaml }, 'human', io().streams);
    const fromJson = JSON.parse(readFileSync(json, 'utf8')) as { experiments: { fault: { ports: unknown } }[] };
    expect(fromJson.experiments[0].fault.ports).toEqual([6432]);
    expect(await readSpecFile(yaml)).toEqual(fromJson);

    writeFileSync(json, '{"edited": true}');
    const e = await failure(runNew({ template: 'partition', out: json }, 'human', io().streams));
    expect(e.message).toBe(`${json} exists: choose another file or pass --force`);
    expect(readFileSync(json, 'utf8')).toBe('{"edited": true}');
    await runNew({ template: 'partition', out: json, force: true }, 'human', io().streams);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ name: 'Partition between two services' });
  });

  it('refuses an unknown key, a wrong type and a value the spec refuses with exit 1, naming the parameter', async () => {
    const unknown = await failure(runNew({ template: 'container-pause', set: ['dely=1s'] }, 'human', io().streams));
    expect(unknown.exitCode).toBe(EXIT.invalid);
    expect(unknown.message).toContain('--set dely: template container-pause has no parameter "dely"');

    const port = await failure(runNew({ template: 'database-unreachable', set: ['port=abc'] }, 'human', io().streams));
    expect(port.exitCode).toBe(EXIT.invalid);
    expect(port.message).toBe('template database-unreachable:\n  - --set port: "abc" is not a whole number');

    const range = await failure(
      runNew({ template: 'database-unreachable', set: ['port=70000'] }, 'human', io().streams),
    );
    expect(range.message).toMatch(/--set port: .*65535.*\(at experiments\.0\.fault\.ports\.0\)/);

    const signal = await failure(runNew({ template: 'process-crash', set: ['signal=STOP'] }, 'human', io().streams));
    expect(signal.message).toContain('--set signal: must be one of KILL, TERM');

    expect((await failure(runNew({ template: 'nope' }, 'human', io().streams))).message).toMatch(
      /^no template "nope" \(there are: service-latency, /,
    );
    expect((await failure(runNew({ template: 'partition', set: ['serviceB'] }, 'human', io().streams))).message).toBe(
      '--set serviceB: expected KEY=VALUE (e.g. --set delay=200ms)',
    );
    expect((await failure(runNew({}, 'human', io().streams))).message).toMatch(/--template NAME.*--list/);
  });
});

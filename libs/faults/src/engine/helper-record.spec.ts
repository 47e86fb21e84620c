import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// The helper's record read by another process while its writer rewrites it: `put` truncates before
// it writes, and a `status` read in between once reported `state=` (a stress's end, in CI). The real
// script under dash, as in the helper image, with a writer rewriting the state and applied_at
// thousands of times a second (the daemon rewrites a key a few times per fault): a reader that took
// the first thing it found read an empty or cut value in about one read in ten here. A writer that
// never pauses keeps the file empty most of the time, which no helper does.
const HELPER = path.resolve(__dirname, '../../helper');
const run = promisify(execFile);
const APPLIED_AT = '1765000000123';

describe("the helper's state read while it is rewritten", () => {
  let dir: string;
  let writer: ReturnType<typeof spawn>;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gameday-helper-record-'));
    writeFileSync(path.join(dir, 'state'), 'applied\n');
    writeFileSync(path.join(dir, 'applied_at'), `${APPLIED_AT}\n`);
    const put = (key: string, value: string) => `printf '%s\\n' ${value} >"$1/${key}"`;
    const pause = 'i=0; while [ $i -lt 2000 ]; do i=$((i + 1)); done';
    writer = spawn(
      'dash',
      [
        '-c',
        `while :; do ${put('state', 'applied')}; ${pause}; ${put('applied_at', APPLIED_AT)}; ${pause}; done`,
        'w',
        dir,
      ],
      {
        stdio: 'ignore',
      },
    );
  });
  afterAll(() => {
    writer.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('is never reported empty or cut by status, and a number is whole or not yet there', async () => {
    const seen: string[] = [];
    const applied: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { stdout } = await run('dash', [path.join(HELPER, 'gameday-helper.sh'), 'status'], {
        env: { ...process.env, GAMEDAY_HELPER_STATE: dir, GAMEDAY_HELPER_LIB: HELPER },
      });
      seen.push(/^state=(.*)$/m.exec(stdout)?.[1] ?? 'no state line');
      applied.push(/^applied_at=(.*)$/m.exec(stdout)?.[1] ?? 'no applied_at line');
    }
    expect(seen.filter((s) => s !== 'applied')).toEqual([]);
    expect(applied.filter((s) => s !== APPLIED_AT && s !== '')).toEqual([]);
  }, 60_000);
});

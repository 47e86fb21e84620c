import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runClassicDemo, type DemoResult } from '../../scripts/demo/classic-demo';
import { leakedUmlProcesses, umlPids } from '../../tools/lab/uml-process';

// Long tier (`npm run test:long`): the classic GameDay and then the same GameDay against service1
// WITHOUT its timeout, in the lab, as `npm run demo` runs them. The first must hold (the lab tier's
// e2e-classic checks it in detail), the second must be violated: the hypothesis means what it says.
// Out of CI's lab tier for time (a second run: ~2 min with its arming lead).

const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(1_200_000);

describe('classic GameDay and its flip in the lab', () => {
  let result: DemoResult;
  const before = umlPids();

  beforeAll(async () => {
    if (process.env.SKIP_BUILD !== '1') execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' });
    result = await runClassicDemo({
      engine: 'lab',
      fast: true,
      flip: true,
      leadSeconds: 8,
      stateDir: path.join(ROOT, '.lab', 'e2e-flip'),
      log: (l) => process.stdout.write(`${l}\n`),
    });
  });

  afterAll(() => {
    expect(leakedUmlProcesses(before)).toEqual([]);
  });

  it('holds with the timeout', () => {
    expect(result.status).toBe('completed');
    expect(result.verdict).toBe('hypothesis_held');
  });

  it('is violated when service1 has no timeout (the hypothesis means what it says)', () => {
    const f = result.flipped!;
    const e = f.run.result!.experiments[0];
    process.stdout.write(`without timeout: ${f.verdict} (${e.verdict.reason}); fault p50 ${e.stats.fault.p50Ms} ms\n`);
    expect(f.status).toBe('completed');
    expect(f.verdict).toBe('hypothesis_violated');
    const failed = e.verdict.checks.filter((c) => !c.passed && c.window === 'fault').map((c) => c.metric);
    expect(failed).toEqual(expect.arrayContaining(['statusIn[500]', 'p50AboveBaselineMs']));
  });

  it("learns the engine's arming lead from the first run for the second", () => {
    const planned = result.flipped!.run.events.find((ev) => ev.type === 'arming.planned') as unknown as {
      data: { samples: number };
    };
    expect(planned.data.samples).toBeGreaterThanOrEqual(1);
  });
});

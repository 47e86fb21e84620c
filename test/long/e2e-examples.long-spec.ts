import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runClassicDemo, withoutTimeout, type DemoResult } from '../../scripts/demo/classic-demo';
import { leakedUmlProcesses, umlPids } from '../../tools/lab/uml-process';

// Long tier (`npm run test:long`): examples of the failures teams rehearse most, end to end in the
// lab as `npm run demo` runs the classic one (the built API and worker, the demo system on Docker
// inside user-mode-linux): each must end `hypothesis_held`, and a flip of it `hypothesis_violated`,
// so the hypothesis means what it says. The examples fail fast (NXDOMAIN, a TCP reset): without
// service1's timeout they still fail fast, so the flip is the silent form of the same fault (a
// resolver that never answers, packets dropped) against service1 without its timeout, which then
// hangs. The multi-step bad-afternoon's flip is service1 without its timeout alone (its slow and
// frozen steps then show). GAMEDAY_E2E_EXAMPLES picks the examples (default: dns-outage,
// database-unreachable, bad-afternoon).

const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(1_500_000);

type Spec = Parameters<typeof withoutTimeout>[0];
/** The example's fault made silent (its `action` set), and service1 without its timeout. */
const silentWithoutTimeout = (action: string) => (spec: Spec) => {
  const copy = withoutTimeout(spec);
  copy.name = `${copy.name}, fault ${action}`;
  for (const e of copy.experiments) e.fault.action = action;
  return copy;
};

const FLIPS: Record<string, (spec: Spec) => Spec> = {
  'dns-outage': silentWithoutTimeout('timeout'),
  'database-unreachable': silentWithoutTimeout('drop'),
  // three steps in one window (service2 slow, its database paused, then refused): without its
  // timeout service1 waits out the slow and the frozen steps
  'bad-afternoon': withoutTimeout,
};
const EXAMPLES = (process.env.GAMEDAY_E2E_EXAMPLES ?? 'dns-outage,database-unreachable,bad-afternoon').split(',');

describe.each(EXAMPLES)('example %s end to end in the lab, and its flip', (example) => {
  let result: DemoResult;
  const before = umlPids();

  beforeAll(async () => {
    if (!FLIPS[example]) throw new Error(`no flip for ${example}: known ${Object.keys(FLIPS).join(', ')}`);
    if (process.env.SKIP_BUILD !== '1') execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' });
    result = await runClassicDemo({
      engine: 'lab',
      example,
      fast: true,
      flip: true,
      flipWith: FLIPS[example],
      leadSeconds: 8,
      stateDir: path.join(ROOT, '.lab', `e2e-${example}`),
      log: (l) => process.stdout.write(`${l}\n`),
    });
  });

  afterAll(() => {
    expect(leakedUmlProcesses(before)).toEqual([]);
  });

  it('holds: service1 answers its error at about its usual latency, and 200 after the rollback', () => {
    const e = result.run.result!.experiments[0];
    process.stdout.write(
      `${example}: ${result.verdict} (${e.verdict.reason}); baseline p50 ${e.stats.baseline.p50Ms} ms, fault p50 ${e.stats.fault.p50Ms} ms, recovery p50 ${e.stats.recovery.p50Ms} ms\n`,
    );
    expect(result.status).toBe('completed');
    expect(result.verdict).toBe('hypothesis_held');
  });

  it('is violated when the fault is silent and service1 has no timeout', () => {
    const f = result.flipped!;
    const e = f.run.result!.experiments[0];
    const failed = e.verdict.checks.filter((c) => !c.passed).map((c) => `${c.window}:${c.metric}`);
    process.stdout.write(
      `${example} flipped: ${f.verdict} (${e.verdict.reason}); fault p50 ${e.stats.fault.p50Ms} ms; failed ${failed.join(', ')}\n`,
    );
    expect(f.status).toBe('completed');
    expect(f.verdict).toBe('hypothesis_violated');
    expect(failed.some((c) => c.startsWith('fault:'))).toBe(true);
  });
});

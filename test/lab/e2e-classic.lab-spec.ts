import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runClassicDemo, windowsLine, type DemoResult } from '../../scripts/demo/classic-demo';
import { leakedUmlProcesses, umlPids } from '../../tools/lab/uml-process';

// The classic GameDay end to end, the way `npm run demo` runs it: the real API and worker (built
// JavaScript, separate processes) with Postgres and Redis on the host, the demo system on the
// Docker Engine inside the user-mode-linux kernel (real netem), Prometheus scraping all of it.

const ROOT = path.resolve(__dirname, '../..');
// boot and images (~3 min), then two runs that each arm ahead of their baseline by the lab
// engine's lead (60 s on a fresh engine): more than the lab tier's 10 min on a slow machine
jest.setTimeout(900_000);

describe('classic GameDay end to end in the lab', () => {
  let latest: DemoResult | undefined;
  const before = umlPids();

  beforeAll(() => {
    // the demo runs the built API and worker, as an operator would (SKIP_BUILD=1: dist/ is fresh,
    // as in CI, which builds just before the tests)
    if (process.env.SKIP_BUILD !== '1') execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' });
  });

  afterAll(() => {
    expect(leakedUmlProcesses(before)).toEqual([]);
  });

  /** The last demo run: the first test runs it, so the tier's retry of that test runs it again. */
  const current = (): DemoResult => {
    if (!latest) throw new Error('the demo did not run to its end (see the first test)');
    return latest;
  };
  const stats = () => current().run.result!.experiments[0].stats;

  it('completes with the hypothesis held, judged on the windows as they really were', async () => {
    // here, not in beforeAll: on a host whose lab guest starves beside the other lab lanes the
    // timeout path's latency once broke the hypothesis, and a retry must be a new run (listed by
    // the test summary with its first failure), not a second look at the same one
    latest = undefined;
    latest = await runClassicDemo({
      engine: 'lab',
      fast: true,
      // the flipped GameDay (no timeout: violated) runs in the long tier (e2e-flip.long-spec.ts)
      flip: false,
      leadSeconds: 8,
      stateDir: path.join(ROOT, '.lab', 'e2e-classic'),
      log: (l) => process.stdout.write(`${l}\n`),
    });
    const result = current();
    const e = result.run.result!.experiments[0];
    process.stdout.write(`${windowsLine(result.run)}\n`);
    expect(result.status).toBe('completed');
    expect(result.verdict).toBe('hypothesis_held');
    // the fault window is the helper's apply → revert record, recovery starts after the actual
    // revert plus the settling time, and the gaps between plan and reality are on record
    const applied = result.run.events.find((ev) => ev.type === 'fault.applied')!;
    expect(e.windows!.observed.fault.from).toBe(Date.parse(applied.at));
    // the engine's clock was measured at arming; the lab's engine shares the host's clock
    const armed = result.run.events.find((ev) => ev.type === 'fault.armed') as unknown as {
      data: { clockOffset: { offsetMs: number; uncertaintyMs: number; correctionMs: number } };
    };
    expect(Math.abs(armed.data.clockOffset.offsetMs)).toBeLessThanOrEqual(armed.data.clockOffset.uncertaintyMs + 1);
    // the lab demo settles 10 s: the worker's confirmation execs take the guest's CPU until about T1+8 s
    expect(e.windows!.observed.recovery.from - e.windows!.observed.fault.to).toBe(10_000);
    expect(e.windows!.gaps.map((g) => g.kind)).toContain('settling');
  });

  it('arms ahead of the baseline by the engine’s lead when the GameDay gives no arming: the whole baseline is judged', () => {
    const e = current().run.result!.experiments[0];
    const armed = (type: string) =>
      current().run.events.find((ev) => ev.type === type) as unknown as
        { message: string; data: Record<string, number | string> } | undefined;
    const planned = armed('arming.planned')!;
    const done = armed('arming.done')!;
    process.stdout.write(
      `arming: ${planned.message}\n        ${done.message} (lead ${planned.data.leadMs} ms, ${planned.data.source}, ${planned.data.samples} on record)\n`,
    );
    // the demo sets no durations.arming: the lead (60 s on a freshly booted lab engine) sits before the baseline
    expect(e.plan.arming).toBe('lead');
    expect(e.plan.baselineAt - e.plan.armAt!).toBe(planned.data.leadMs);
    expect(planned.data.leadMs).toBeGreaterThanOrEqual(20_000);
    // arming ended inside its reserve: nothing was taken from the baseline, every planned second is judged
    expect(done.data.baselineLostMs).toBe(0);
    expect(current().run.events.some((ev) => ev.type === 'arming.overran')).toBe(false);
    expect(e.windows!.gaps.map((g) => g.kind)).not.toContain('arming');
    expect(e.windows!.observed.baseline).toEqual(e.windows!.planned.baseline);
    expect(e.stats.baseline.count).toBeGreaterThanOrEqual(10);
  });

  it('measures a fast HTTP 500 during the fault and a return to the baseline after it', () => {
    const s = stats();
    const table = (['baseline', 'fault', 'recovery'] as const).map(
      (w) =>
        `${w.padEnd(9)} n=${s[w].count} p50=${s[w].p50Ms} ms p95=${s[w].p95Ms} ms statuses=${JSON.stringify(s[w].statusCounts)}`,
    );
    process.stdout.write(`probe on service1/?timeout_ms=300\n${table.join('\n')}\n`);
    const share = (w: 'fault' | 'recovery', status: string) => (s[w].statusCounts?.[status] ?? 0) / s[w].count;
    // the timeout path answers 500 when service1's 300 ms timeout fires: never sooner, and within
    // 350 ms of its own baseline (not seconds). Not "at least 200 ms above the baseline": the
    // baseline's p50 moves with the guest's load (29-74 ms measured) and is not the claim.
    expect(share('fault', '500')).toBeGreaterThanOrEqual(0.9);
    expect(s.fault.p50Ms!).toBeGreaterThanOrEqual(295);
    expect(s.fault.p50Ms! - s.baseline.p50Ms!).toBeLessThan(350);
    expect(share('recovery', '200')).toBeGreaterThanOrEqual(0.9);
    expect(s.recovery.p50Ms! - s.baseline.p50Ms!).toBeLessThan(100);
  });

  it('shows plain requests taking seconds during the fault while the timeout path fails fast', () => {
    const during = current().spotChecks.filter((c) => c.phase === 'fault');
    const plain = during.find((c) => !c.url.includes('timeout_ms'))!;
    const guarded = during.find((c) => c.url.includes('timeout_ms'))!;
    const base = current().spotChecks.find((c) => c.phase === 'baseline' && !c.url.includes('timeout_ms'))!;
    process.stdout.write(
      `by hand: baseline ${base.ms.toFixed(0)} ms; during the fault plain ${plain.ms.toFixed(0)} ms (HTTP ${plain.status}), ?timeout_ms=300 ${guarded.ms.toFixed(0)} ms (HTTP ${guarded.status})\n`,
    );
    expect(base.status).toBe(200);
    expect(plain.status).toBe(200);
    // service2's delayed SYN-ACK, query and response: at least three delayed packets (≥ 1.2 s even
    // with -100 ms jitter), more on a new database connection per request
    expect(plain.ms).toBeGreaterThan(1_200);
    expect(plain.ms).toBeGreaterThan(3 * guarded.ms);
    expect(guarded.status).toBe(500);
    expect(guarded.ms).toBeGreaterThan(280);
    expect(guarded.ms).toBeLessThan(600);
  });

  it('leaves the evidence in Prometheus: the fault window, the deviation, every dashboard panel', () => {
    expect(current().prometheus.faultWindowSeen).toBe(true);
    expect(current().prometheus.deviationRatio).not.toBeNull();
    const empty = current()
      .prometheus.panels.filter((p) => p.series === 0)
      .map((p) => `${p.panel}: ${p.expr}`);
    expect(empty).toEqual([]);
  });

  it('records injection and revert at the planned instants', () => {
    const applied = current().run.events.find((e) => e.type === 'fault.applied')!;
    // the executor's record (the fault queue's and the reaper's confirmations carry no planned instant)
    const reverted = current().run.events.find((e) => e.type === 'fault.reverted' && e.plannedAt !== null)!;
    const skew = (e: { at: string; plannedAt: string | null }) => Date.parse(e.at) - Date.parse(e.plannedAt!);
    process.stdout.write(`netem inject skew ${skew(applied)} ms, revert skew ${skew(reverted)} ms\n`);
    // The helper starts its tc steps at the planned instant by its own clock; the recorded instant
    // is when the last step finished. Every process start costs tens of milliseconds on the lab's
    // one virtual CPU, so the steps take up to ~1 s here (the driver's integration tests on a
    // normal kernel measure tens of ms; npm run bench prints the distribution).
    expect(skew(applied)).toBeGreaterThanOrEqual(0);
    // The shell helper in the one-vCPU guest (a fork costs it tens to hundreds of ms): measured
    // 0.4-2.2 s late, and 3.2-3.7 s for the first GameDay after the lab boots on this 2-core
    // machine with nothing else running. A bound on the test's sanity, not the product's target:
    // the fault still holds for most of its 30 s window, the judged window follows the helper's
    // record, and the on-time issue's compiled helper and bench own the millisecond figures.
    expect(skew(applied)).toBeLessThan(5_000);
    expect(skew(reverted)).toBeGreaterThanOrEqual(0);
    expect(skew(reverted)).toBeLessThan(5_000);
  });
});

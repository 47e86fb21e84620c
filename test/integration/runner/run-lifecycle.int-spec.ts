import { readRunResult } from '@gameday/core';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { randomUUID } from 'node:crypto';
import { runEnded, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { docker, useTarget } from '../../support/targets';

// Real Postgres, Redis, BullMQ and Docker Engine. The host kernel has no netem, so these runs use a
// container fault (pause) on a real HTTP target: the lifecycle, timing, guardrails, emergency
// stop and verdict are the same code paths as for network faults (those are proven in the lab).
jest.setTimeout(90_000);

describe('run lifecycle end to end (worker + API + Docker)', () => {
  // the real launcher: runs go through the executor
  const stack = useStack({ name: 'runner', worker: 'real' });
  const { prisma } = stack;
  const target = useTarget(stack, 'gd-runner-target');
  const auth = stack.admin;

  function spec(
    experiment: Record<string, unknown>,
    // 4 s for arming: beside CI's other lanes a pause armed in over 2 s, eating a short baseline
    durations: Record<string, string> = { arming: '4s', baseline: '2s', fault: '3s', recovery: '2s' },
  ) {
    return {
      name: `runner-${randomUUID()}`,
      timezone: 'UTC',
      schedule: { at: new Date(Date.now() + 60 * 60_000).toISOString() },
      experiments: [
        {
          name: 'pause target',
          hypothesis: {
            description: 'the target fails while paused and is back right after',
            probes: [{ name: 'target', url: target.url, timeoutMs: 300, interval: '100ms' }],
          },
          fault: { kind: 'container', target: { container: target.name }, action: 'pause' },
          durations,
          ...experiment,
        },
      ],
    };
  }

  const runNow = (body: Record<string, unknown>) => stack.runNow(body);

  const finished = (runId: string) => runEnded(prisma, runId);

  const paused = async () => (await docker.getContainer(target.name).inspect()).State.Paused;

  it('runs baseline → fault → recovery at the planned instants and decides the verdict', async () => {
    const runId = await runNow(
      spec({
        hypothesis: {
          ...spec({}).experiments[0].hypothesis,
          tolerances: { fault: { minErrorRate: 0.8 }, recovery: { maxErrorRate: 0.2 } },
        },
      }),
    );
    const run = await finished(runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe('completed');
    expect(run.verdict).toBe('hypothesis_held');
    const phases = run.events.filter((e) => e.type.startsWith('phase.')).map((e) => e.type);
    expect(phases).toEqual([
      'phase.arming',
      'phase.baseline',
      'phase.injecting',
      'phase.observing',
      'phase.rolling_back',
      'phase.recovery',
    ]);

    // the container fault was applied at T0 and reverted at T1 (planned vs actual in the timeline)
    const applied = run.events.find((e) => e.type === 'fault.applied')!;
    const reverted = run.events.find((e) => e.type === 'fault.reverted')!;
    const injectSkew = applied.at.getTime() - applied.plannedAt!.getTime();
    const revertSkew = reverted.at.getTime() - reverted.plannedAt!.getTime();
    console.log(`container fault skew: inject ${injectSkew} ms, revert ${revertSkew} ms`);
    expect(injectSkew).toBeGreaterThanOrEqual(0);
    // a sanity bound (a pause is the worker's own call at T0: 904 ms late once beside CI's lanes in
    // the steps' test); the figures are printed and benched
    expect(injectSkew).toBeLessThan(2_000);
    expect(revertSkew).toBeLessThan(1_000);
    expect(await paused()).toBe(false);

    const result = readRunResult(run.result);
    const stats = result.experiments[0].stats;
    // the fault window is the time the container was really paused, by the recorded instants
    const windows = result.experiments[0].windows!;
    expect(windows.observed.fault).toEqual({ from: applied.at.getTime(), to: reverted.at.getTime() });
    expect(windows.observed.recovery.from).toBe(reverted.at.getTime());
    expect(stats.baseline.count).toBeGreaterThan(10);
    expect(stats.baseline.errorRate).toBe(0);
    expect(stats.fault.errorRate).toBeGreaterThan(0.8);
    expect(result.experiments[0].timeToRecoverMs).not.toBeNull();
    // every stored sample is judged in one window or falls in a gap between plan and reality
    const rows = await prisma.probeSample.findMany({ where: { runId }, select: { at: true } });
    const inGap = rows.filter((r) => windows.gaps.some((g) => r.at.getTime() >= g.from && r.at.getTime() < g.to));
    expect(rows.length).toBe(stats.baseline.count + stats.fault.count + stats.recovery.count + inGap.length);
    expect(await prisma.activeFault.count({ where: { runId, revertedAt: null } })).toBe(0);

    // the worker's gauge holds the score the API computes from the stored run
    const view = await stack.http.get(`/api/v1/runs/${runId}`).set(auth);
    expect(view.body.score.score).toEqual(expect.any(Number));
    expect(view.body.summary.score).toBe(view.body.score.score);
    const gauge = await stack.worker.get<symbol, GameDayMetrics>(METRICS, { strict: false }).resilienceScore.get();
    const name = (run.spec as { name: string }).name;
    expect(gauge.values.find((v) => v.labels.gameday === name)?.value).toBe(view.body.score.score);
  });

  it('keeps the load as per-second aggregates (no row per request) and summarises it per observed window', async () => {
    // a longer baseline: the load's thread takes a second or two to start sending under the test's TypeScript loader
    const runId = await runNow(
      spec(
        { load: { url: target.url, rate: 100, concurrency: 8, timeoutMs: 300 } },
        { arming: '1s', baseline: '5s', fault: '3s', recovery: '2s' },
      ),
    );
    const run = await finished(runId);
    expect(run.status).toBe('completed');
    expect(await prisma.probeSample.count({ where: { runId, probe: 'load' } })).toBe(0);
    const seconds = await prisma.loadAggregate.findMany({ where: { runId } });
    const stored = seconds.reduce((n, a) => n + a.count, 0);
    const load = readRunResult(run.result).experiments[0].probes.load;
    console.log(
      `load: ${stored} requests in ${seconds.length} rows; baseline ${load.baseline.count} (p95 ${load.baseline.p95Ms} ms), fault ${load.fault.count} (error rate ${load.fault.errorRate}), recovery ${load.recovery.count}`,
    );
    // up to 100 requests/s from the baseline on (fewer while the paused target holds connections
    // until their 300 ms timeout): one row per second and window, a few partial ones aside
    expect(stored).toBeGreaterThan(100);
    expect(seconds.length).toBeLessThan(stored / 8);
    expect(load.baseline.count).toBeGreaterThan(20);
    expect(load.fault.count).toBeGreaterThan(10);
    for (const w of [load.baseline, load.fault, load.recovery]) {
      expect(w.errors).toBeLessThanOrEqual(w.count);
      if (w.count > 0) expect(w.p50Ms!).toBeLessThanOrEqual(w.p95Ms!);
    }
    expect(load.baseline.count + load.fault.count + load.recovery.count).toBeLessThanOrEqual(stored);
  });

  it('flips the verdict when the tolerance is set to fail', async () => {
    const runId = await runNow(
      spec({ hypothesis: { ...spec({}).experiments[0].hypothesis, tolerances: { fault: { maxErrorRate: 0.1 } } } }),
    );
    const run = await finished(runId);
    expect(run.status).toBe('completed');
    expect(run.verdict).toBe('hypothesis_violated');
    expect(run.events.find((e) => e.type === 'experiment.verdict')!.message).toMatch(
      /fault errorRate .* \(expected <= 0.1\)/,
    );
    expect(await paused()).toBe(false);
  });

  it('aborts on a guardrail breach and reverts at once', async () => {
    const runId = await runNow(
      spec(
        {
          guardrails: [{ name: 'errors', metric: 'errorRate', threshold: 0.5, window: '1s', for: '0s', minSamples: 3 }],
        },
        { arming: '4s', baseline: '2s', fault: '20s', recovery: '1s' },
      ),
    );
    const run = await finished(runId);
    expect(run.status).toBe('aborted');
    expect(run.verdict).toBe('aborted');
    expect(run.abortReason).toMatch(/guardrail "errors"/);
    const abort = run.events.find((e) => e.type === 'run.abort')!;
    const latency = (abort.data as { abortLatencyMs: number }).abortLatencyMs;
    console.log(`guardrail abort latency: ${latency} ms`);
    expect(latency).toBeLessThan(1_000);
    // ended long before the planned 20 s fault window
    const applied = run.events.find((e) => e.type === 'fault.applied')!;
    expect(run.finishedAt!.getTime() - applied.at.getTime()).toBeLessThan(5_000);
    expect(await paused()).toBe(false);
  });

  it('a guardrail abort of a helper-clocked fault reaches its helper through the stdin the worker holds', async () => {
    const runId = await runNow(
      spec(
        {
          fault: {
            kind: 'blackhole',
            target: { container: target.name },
            direction: 'ingress',
            localPorts: [80],
            action: 'reject',
            protocol: 'tcp',
          },
          guardrails: [{ name: 'errors', metric: 'errorRate', threshold: 0.5, window: '1s', for: '0s', minSamples: 3 }],
        },
        { arming: '3s', baseline: '2s', fault: '20s', recovery: '1s' },
      ),
    );
    const run = await finished(runId);
    expect(run.status).toBe('aborted');
    const abort = run.events.find((e) => e.type === 'run.abort')!;
    const data = abort.data as { abortLatencyMs: number; abortPaths: string[] };
    console.log(`blackhole guardrail abort latency: ${data.abortLatencyMs} ms (${abort.message})`);
    // the executor that armed the helper aborted it: the line on its stdin, no Docker kill
    expect(data.abortPaths).toEqual(['stdin']);
    expect(abort.message).toMatch(/helpers told through the held stdin ×1/);
    const applied = run.events.find((e) => e.type === 'fault.applied')!;
    expect(run.finishedAt!.getTime() - applied.at.getTime()).toBeLessThan(5_000);
  });

  it('reverts within 1 s on an emergency stop', async () => {
    const runId = await runNow(spec({}, { arming: '4s', baseline: '1s', fault: '30s', recovery: '1s' }));
    await waitFor('the fault', async () => (await paused()) || null, 15_000, 20);
    const requested = Date.now();
    const res = await stack.http.post(`/api/v1/runs/${runId}/abort`).set(auth).send({ reason: 'pager went off' });
    expect(res.status).toBe(202);
    await waitFor('the revert', async () => !(await paused()) || null, 2_000, 10);
    const tookMs = Date.now() - requested;
    console.log(`emergency stop: reverted ${tookMs} ms after the request`);
    expect(tookMs).toBeLessThan(1_000);
    const run = await finished(runId);
    expect(run.status).toBe('aborted');
    expect(run.abortReason).toBe('pager went off');
  });
});

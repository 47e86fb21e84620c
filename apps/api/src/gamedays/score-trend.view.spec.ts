import type { Run } from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import { scoreTrendView } from './score-trend.view';

const as = (role: Principal['role']): Principal => ({ tokenId: null, name: role, role });
const T0 = Date.parse('2030-01-01T10:00:00.000Z');
const stats = (count: number, errorRate: number, p95Ms: number) => ({
  count,
  errors: Math.round(count * errorRate),
  errorRate,
  meanMs: p95Ms,
  p50Ms: p95Ms,
  p95Ms,
  p99Ms: p95Ms,
});

/** A stored run as the repository returns it; `faultMs` above 350 violates the hypothesis. */
function run(id: string, at: number, fields: Partial<Run> = {}, faultMs = 300): Run {
  const passed = faultMs <= 350;
  const verdict = passed ? 'hypothesis_held' : 'hypothesis_violated';
  return {
    id,
    scheduledFor: new Date(at),
    finishedAt: new Date(at + 40_000),
    updatedAt: new Date(at + 40_000),
    status: 'completed',
    verdict,
    error: null,
    abortReason: null,
    result: {
      verdict,
      experiments: [
        {
          index: 0,
          name: 'latency',
          plan: { baselineAt: at, injectAt: at + 10_000, revertAt: at + 30_000, endAt: at + 40_000 },
          targets: [],
          stats: { baseline: stats(20, 0, 20), fault: stats(40, 0, faultMs), recovery: stats(20, 0, 20) },
          probes: {},
          verdict: {
            verdict,
            reason: passed ? 'all 1 checks passed' : `fault p95Ms ${faultMs}`,
            checks: [{ window: 'fault', metric: 'p95Ms', comparator: '<=', threshold: 350, actual: faultMs, passed }],
            deviationRatio: faultMs / 20,
          },
          timeToRecoverMs: 100,
          injectionSkewMs: null,
          revertSkewMs: null,
          abortLatencyMs: null,
        },
      ],
    },
    ...fields,
  } as unknown as Run;
}

describe('scoreTrendView', () => {
  // newest first, as listFinished returns them
  const runs = [
    run('c', T0 + 2, { status: 'failed', verdict: null, result: null, error: 'lost /proc/4242/ns/net' }),
    run('b', T0 + 1, {}, 700),
    run('a', T0),
  ];

  it('lists the runs oldest first with their scores; latest and mean are over the scored ones', () => {
    const view = scoreTrendView('g', runs, as('operator'));
    expect(view.items.map((i) => [i.runId, i.score])).toEqual([
      ['a', 100],
      ['b', 50], // 20 violated + 30 (its one check)
      ['c', null],
    ]);
    expect(view.items[1].deductions).toEqual([
      { code: 'hypothesis_violated', points: 20 },
      { code: 'check_failed', points: 30 },
    ]);
    expect(view).toMatchObject({ gameDayId: 'g', latest: 50, mean: 75, version: 1 });
    expect(view.items[2].unscoredReason).toBe('the run failed before a verdict: lost /proc/4242/ns/net');
  });

  it("redacts host details from a viewer's reasons", () => {
    expect(scoreTrendView('g', runs, as('viewer')).items[2].unscoredReason).toBe(
      'the run failed before a verdict: lost /proc/<pid>/ns/net',
    );
  });

  it('has no latest or mean without a scored run', () => {
    expect(scoreTrendView('g', [runs[0]], as('viewer'))).toMatchObject({ latest: null, mean: null });
    expect(scoreTrendView('g', [], as('viewer'))).toMatchObject({ items: [], latest: null, mean: null });
  });
});

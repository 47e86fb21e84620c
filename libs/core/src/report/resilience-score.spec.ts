import { RESILIENCE_SCORE_VERSION, scoreRun, type ScoredExperiment, type ScoredRun } from './resilience-score';

const T0 = Date.parse('2030-01-01T10:00:00.000Z');
const stats = (count: number, errorRate: number, p95Ms: number | null) => ({ count, errorRate, p95Ms });

/** A held experiment whose hypothesis states error and latency bounds in both windows. */
function experiment(overrides: Partial<ScoredExperiment> = {}, index = 0): ScoredExperiment {
  return {
    index,
    name: `exp ${index}`,
    stats: { baseline: stats(20, 0, 20), fault: stats(40, 1, 300), recovery: stats(20, 0, 22) },
    verdict: {
      verdict: 'hypothesis_held',
      reason: 'all 4 checks passed',
      checks: [
        { window: 'fault', metric: 'statusIn[500]', comparator: '>=', threshold: 0.9, actual: 1, passed: true },
        { window: 'fault', metric: 'p95AboveBaselineMs', comparator: '<=', threshold: 450, actual: 280, passed: true },
        { window: 'recovery', metric: 'errorRate', comparator: '<=', threshold: 0.05, actual: 0, passed: true },
        { window: 'recovery', metric: 'p50AboveBaselineMs', comparator: '<=', threshold: 100, actual: 2, passed: true },
      ],
    },
    windows: {
      planned: { baseline: { from: T0, to: T0 + 20_000 } },
      gaps: [],
    },
    timeToRecoverMs: 140,
    ...overrides,
  };
}

function run(overrides: Partial<ScoredRun> = {}): ScoredRun {
  return { status: 'completed', verdict: 'hypothesis_held', experiments: [experiment()], ...overrides };
}

const violated = (checks: NonNullable<ScoredExperiment['verdict']>['checks']) =>
  experiment({ verdict: { verdict: 'hypothesis_violated', reason: 'fault p95 too high', checks } });

const sum = (xs: { points: number }[]) => xs.reduce((n, d) => n + d.points, 0);

describe('scoreRun', () => {
  it('a held run whose hypothesis covers every window scores 100 with no deductions', () => {
    expect(scoreRun(run())).toEqual({
      score: 100,
      unscoredReason: null,
      deductions: [],
      version: RESILIENCE_SCORE_VERSION,
    });
  });

  it('is deterministic: the same stored run (or a copy of it) scores the same, deductions included', () => {
    const stored = run({
      verdict: 'hypothesis_violated',
      experiments: [
        violated([
          { window: 'fault', metric: 'p95Ms', comparator: '<=', threshold: 350, actual: 512.3456, passed: false },
        ]),
        experiment({ timeToRecoverMs: null }, 1),
      ],
    });
    const first = scoreRun(stored);
    expect(scoreRun(JSON.parse(JSON.stringify(stored)) as ScoredRun)).toEqual(first);
    // the experiments' order in storage does not matter
    expect(scoreRun({ ...stored, experiments: [...stored.experiments].reverse() })).toEqual(first);
  });

  it('a violated hypothesis costs 20 plus 30 shared among the fault and recovery checks', () => {
    const checks = [
      { window: 'baseline', metric: 'errorRate', comparator: '<=', threshold: 0.05, actual: 0, passed: true },
      { window: 'fault', metric: 'p95Ms', comparator: '<=', threshold: 350, actual: 512.3456, passed: false },
      { window: 'fault', metric: 'errorRate', comparator: '<=', threshold: 0.1, actual: 0, passed: true },
      { window: 'recovery', metric: 'p95Ms', comparator: '<=', threshold: 50, actual: 21, passed: true },
    ];
    const s = scoreRun(run({ verdict: 'hypothesis_violated', experiments: [violated(checks)] }));
    expect(s.deductions).toEqual([
      { code: 'hypothesis_violated', experimentIndex: 0, reason: 'fault p95 too high', points: 20 },
      {
        code: 'check_failed',
        experimentIndex: 0,
        reason: 'fault p95Ms: expected <= 350, measured 512.346',
        points: 10,
      },
    ]);
    expect(s.score).toBe(70);
  });

  it('a guardrail abort is scored (40), an operator abort or a failed verification is not', () => {
    const aborted = (trigger: string) =>
      run({
        status: 'aborted',
        verdict: 'aborted',
        abortReason: 'stop',
        experiments: [
          experiment({
            // the checks are kept: the numbers behind the abort
            verdict: {
              ...experiment().verdict!,
              verdict: 'aborted',
              reason: 'guardrail "errors": errorRate 0.9 > 0.5',
            },
            aborted: { trigger, reason: 'guardrail "errors": errorRate 0.9 > 0.5 for 5000 ms (window 10000 ms)' },
          }),
        ],
      });
    const s = scoreRun(aborted('guardrail'));
    expect(s.deductions.map((d) => [d.code, d.points])).toEqual([['guardrail_abort', 40]]);
    expect(s.deductions[0].reason).toMatch(/^guardrail "errors"/);
    expect(s.score).toBe(60);
    expect(scoreRun(aborted('operator'))).toMatchObject({
      score: null,
      unscoredReason: 'aborted by an operator before a verdict: stop',
    });
    expect(scoreRun(aborted('verification')).unscoredReason).toBe(
      'aborted by a failed verification before a verdict: stop',
    );
  });

  it('inconclusive costs 30; checks without a measure cost nothing more', () => {
    const s = scoreRun(
      run({
        verdict: 'inconclusive',
        experiments: [
          experiment({
            verdict: {
              verdict: 'inconclusive',
              reason: 'too few samples in fault (2 < 5)',
              checks: [
                ...experiment().verdict!.checks,
                { window: 'fault', metric: 'p95Ms', comparator: '<=', threshold: 350, actual: null, passed: false },
              ],
            },
          }),
        ],
      }),
    );
    expect(s.deductions.map((d) => [d.code, d.points, d.reason])).toEqual([
      ['inconclusive', 30, 'too few samples in fault (2 < 5)'],
    ]);
    expect(s.score).toBe(70);
  });

  it('errors and latency beyond the baseline cost points where the hypothesis states no bound', () => {
    const s = scoreRun(
      run({
        experiments: [
          experiment({
            stats: { baseline: stats(20, 0, 20), fault: stats(40, 0.5, 160), recovery: stats(20, 0.2, 60) },
            verdict: { verdict: 'hypothesis_held', reason: 'ok', checks: [] },
          }),
        ],
      }),
    );
    expect(s.deductions.map((d) => [d.code, d.points])).toEqual([
      ['fault_error_rate', 7.5], // 15 × 0.5
      ['fault_latency', 10], // 8× the baseline: 5 × log2(8 / 2), capped at 10
      ['recovery_error_rate', 3], // 15 × 0.2
      ['recovery_latency', 10], // 3× the baseline: 10 × log2(3 / 1.5)
    ]);
    expect(s.deductions[0].reason).toBe('fault error rate 50 % against 0 % in the baseline');
    expect(s.deductions[1].reason).toBe("fault p95 160 ms is 8× the baseline's 20 ms (free up to 2×)");
    expect(s.score).toBe(69.5);
  });

  it('a fault-window p95 up to twice the baseline, and error rates within one point, cost nothing', () => {
    const s = scoreRun(
      run({
        experiments: [
          experiment({
            stats: { baseline: stats(20, 0.1, 20), fault: stats(40, 0.105, 40), recovery: stats(20, 0.1, 30) },
            verdict: { verdict: 'hypothesis_held', reason: 'ok', checks: [] },
          }),
        ],
      }),
    );
    expect(s).toMatchObject({ score: 100, deductions: [] });
  });

  it('a recovery that never settles costs 15; a run without a baseline p95 is not judged on it', () => {
    expect(scoreRun(run({ experiments: [experiment({ timeToRecoverMs: null })] })).deductions).toEqual([
      {
        code: 'not_recovered',
        experimentIndex: 0,
        reason: 'the recovery window never settled back within the baseline latency',
        points: 15,
      },
    ]);
    const noBaseline = experiment({
      timeToRecoverMs: null,
      stats: { baseline: stats(0, 0, null), fault: stats(40, 1, 300), recovery: stats(20, 0, 22) },
    });
    expect(scoreRun(run({ experiments: [noBaseline] })).score).toBe(100);
  });

  it('arming that overran costs up to 10, in proportion to the baseline it took', () => {
    const s = scoreRun(
      run({
        experiments: [
          experiment({
            windows: {
              planned: { baseline: { from: T0, to: T0 + 20_000 } },
              gaps: [
                { kind: 'arming', from: T0, to: T0 + 5_000 },
                { kind: 'settling', from: T0 + 40_000, to: T0 + 41_000 },
              ],
            },
          }),
        ],
      }),
    );
    expect(s.deductions).toEqual([
      { code: 'arming_overran', experimentIndex: 0, reason: 'arming took 5 s of the 20 s baseline', points: 2.5 },
    ]);
    expect(s.score).toBe(97.5);
  });

  it('several experiments share the 100 points; one experiment never loses more than its share', () => {
    const worst = experiment(
      {
        stats: { baseline: stats(20, 0, 20), fault: stats(40, 1, 2000), recovery: stats(20, 1, 2000) },
        verdict: {
          verdict: 'hypothesis_violated',
          reason: 'everything failed',
          checks: [{ window: 'fault', metric: 'p95Ms', comparator: '<=', threshold: 1, actual: 2000, passed: false }],
        },
        timeToRecoverMs: null,
      },
      1,
    );
    const s = scoreRun(run({ verdict: 'hypothesis_violated', experiments: [experiment(), worst] }));
    expect(sum(s.deductions)).toBeCloseTo(50, 5);
    expect(s.deductions.every((d) => d.experimentIndex === 1)).toBe(true);
    expect(s.score).toBe(50);
    // alone, the same experiment scores 0, not less
    expect(scoreRun(run({ verdict: 'hypothesis_violated', experiments: [{ ...worst, index: 0 }] })).score).toBe(0);
  });

  it('explains every lost point: score = 100 − Σ points', () => {
    const s = scoreRun(
      run({
        verdict: 'hypothesis_violated',
        experiments: [
          violated([
            { window: 'fault', metric: 'p95Ms', comparator: '<=', threshold: 350, actual: 400, passed: false },
            { window: 'fault', metric: 'errorRate', comparator: '<=', threshold: 0.1, actual: 0.3, passed: false },
            { window: 'recovery', metric: 'p95Ms', comparator: '<=', threshold: 50, actual: 21, passed: true },
          ]),
          experiment({ timeToRecoverMs: null }, 1),
          experiment({}, 2),
        ],
      }),
    );
    expect(s.score).toBeCloseTo(100 - sum(s.deductions), 1);
    expect(s.score).toBe(81.7);
  });

  it.each([
    [
      { status: 'failed', verdict: null, error: 'engine unreachable' },
      'the run failed before a verdict: engine unreachable',
    ],
    [{ status: 'cancelled', verdict: null }, 'the run was cancelled'],
    [{ status: 'skipped', verdict: null }, 'the run was skipped'],
    [{ status: 'observing', verdict: null }, 'the run has not finished (observing)'],
    [{ status: 'completed', verdict: null }, 'the run has no verdict'],
    [{ status: 'completed', verdict: 'hypothesis_held', experiments: [] }, 'no experiment was judged'],
  ] as const)('no score for %j', (overrides, reason) => {
    expect(scoreRun(run(overrides as Partial<ScoredRun>))).toEqual({
      score: null,
      unscoredReason: reason,
      deductions: [],
      version: RESILIENCE_SCORE_VERSION,
    });
  });
});

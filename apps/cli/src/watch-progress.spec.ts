import { describeProgress, planOf, progressAt, shortDuration } from './watch-progress';

describe('watch progress', () => {
  const t0 = Date.parse('2030-01-01T10:00:00.000Z');
  const run = {
    scheduledFor: '2030-01-01T10:00:00.000Z',
    spec: {
      experiments: [
        { durations: { baseline: '30s', fault: '2m', recovery: '30s' } },
        { durations: { baseline: '10s', fault: '10s', recovery: '10s' } },
      ],
    },
  };
  const plan = planOf(run)!;

  it('lays out the same plan as the worker (scheduled instant, experiments back to back)', () => {
    expect(plan.startAt).toBe(t0);
    expect(plan.endAt).toBe(t0 + 180_000 + 30_000);
  });

  it.each([
    [-5_000, 'waiting', 0, { what: 'start', inMs: 5_000 }, 0],
    [0, 'baseline', 0, { what: 'injection', inMs: 30_000 }, 0],
    [30_000, 'fault', 0, { what: 'rollback', inMs: 120_000 }, 30_000 / 210_000],
    [150_000, 'recovery', 0, { what: 'end', inMs: 30_000 }, 150_000 / 210_000],
    [185_000, 'baseline', 1, { what: 'injection', inMs: 5_000 }, 185_000 / 210_000],
    [205_000, 'recovery', 1, { what: 'end', inMs: 5_000 }, 205_000 / 210_000],
    [215_000, 'overtime', 1, null, 1],
  ] as const)('at +%i ms: %s of experiment %i', (offset, window, experiment, next, fraction) => {
    const p = progressAt(plan, t0 + offset);
    expect(p).toMatchObject({ window, experiment, next, experiments: 2, totalMs: 210_000 });
    expect(p.fraction).toBeCloseTo(fraction, 9);
  });

  it('describes the countdown beside the bar', () => {
    expect(describeProgress(progressAt(plan, t0 + 20_000), 'baseline')).toBe(
      'baseline (experiment 1/2) · injection in 10s',
    );
    expect(describeProgress(progressAt(plan, t0 + 212_500), 'recovery')).toBe(
      'recovery (experiment 2/2) · planned end passed 2.5s ago',
    );
    const single = planOf({ ...run, spec: { experiments: [run.spec.experiments[0]] } })!;
    expect(describeProgress(progressAt(single, t0 + 31_000), 'observing')).toBe('observing · rollback in 1m59s');
  });

  describe("with the API's plan (arming lead settled by the worker)", () => {
    const lead = 20_000;
    const apiPlan = {
      startAt: t0,
      endAt: t0 + lead + 180_000,
      armingLeadMs: lead,
      experiments: [
        {
          index: 0,
          armAt: t0,
          arming: 'lead' as const,
          baselineAt: t0 + lead,
          injectAt: t0 + lead + 30_000,
          revertAt: t0 + lead + 150_000,
          endAt: t0 + lead + 180_000,
        },
      ],
    };

    it('takes it over the spec, and none while the worker has not settled it', () => {
      expect(planOf({ ...run, plan: apiPlan })).toBe(apiPlan);
      expect(planOf({ ...run, plan: null })).toBeNull();
    });

    it('shows arming before the baseline with a countdown to it', () => {
      const p = progressAt(apiPlan, t0 + 5_000);
      expect(p).toMatchObject({ window: 'arming', experiment: 0, next: { what: 'baseline', inMs: 15_000 } });
      expect(describeProgress(p, 'arming')).toBe('arming · baseline in 15s');
      expect(progressAt(apiPlan, t0 + lead)).toMatchObject({ window: 'baseline', next: { what: 'injection' } });
    });
  });

  it('gives no plan when the spec cannot tell', () => {
    expect(planOf({ ...run, scheduledFor: 'nope' })).toBeNull();
    expect(planOf({ ...run, spec: {} })).toBeNull();
    expect(planOf({ ...run, spec: { experiments: [{}] } })).toBeNull();
    expect(
      planOf({ ...run, spec: { experiments: [{ durations: { baseline: '30', fault: '1m', recovery: '1m' } }] } }),
    ).toBeNull();
  });

  it.each([
    [0, '0s'],
    [400, '0.4s'],
    [2_500, '2.5s'],
    [12_000, '12s'],
    [125_000, '2m05s'],
    [3_720_000, '1h02m'],
    [-5, '0s'],
  ])('shortDuration(%i) = %s', (ms, text) => expect(shortDuration(ms)).toBe(text));
});

import { planRun, windowAt } from './run-plan';

describe('planRun', () => {
  const t0 = Date.parse('2030-01-01T10:00:00.000Z');
  const plan = planRun(t0, [
    { durations: { baseline: '30s', fault: '2m', recovery: '30s' } },
    { durations: { baseline: '10s', fault: '500ms', recovery: '1m' } },
  ]);

  it('lays experiments back to back from the scheduled instant', () => {
    expect(plan.experiments[0]).toEqual({
      index: 0,
      armAt: t0,
      arming: 'lead',
      baselineAt: t0,
      injectAt: t0 + 30_000,
      revertAt: t0 + 150_000,
      endAt: t0 + 180_000,
    });
    expect(plan.experiments[1]).toEqual({
      index: 1,
      armAt: t0 + 180_000,
      arming: 'lead',
      baselineAt: t0 + 180_000,
      injectAt: t0 + 190_000,
      revertAt: t0 + 190_500,
      endAt: t0 + 250_500,
    });
    expect(plan.endAt).toBe(t0 + 250_500);
  });

  it('arms ahead of the baseline when the experiment gives arming time', () => {
    const p = planRun(t0, [{ durations: { arming: '20s', baseline: '30s', fault: '2m', recovery: '30s' } }], 45_000);
    // the experiment's own arming wins over the run's lead
    expect(p.experiments[0]).toMatchObject({
      armAt: t0,
      arming: 'spec',
      baselineAt: t0 + 20_000,
      injectAt: t0 + 50_000,
    });
    expect(p.endAt).toBe(t0 + 200_000);
    // the arming time is no window: nothing measured then is judged
    expect(windowAt(p, t0 + 10_000)).toBeNull();
  });

  it("reserves the run's arming lead ahead of every baseline that gives no arming, so each baseline is as long as written", () => {
    const p = planRun(
      t0,
      [
        { durations: { baseline: '20s', fault: '1m', recovery: '30s' } },
        { durations: { arming: '0s', baseline: '10s', fault: '10s', recovery: '10s' } },
      ],
      16_000,
    );
    expect(p.armingLeadMs).toBe(16_000);
    expect(p.experiments[0]).toMatchObject({ armAt: t0, arming: 'lead', baselineAt: t0 + 16_000 });
    expect(p.experiments[0].injectAt - p.experiments[0].baselineAt).toBe(20_000);
    expect(p.experiments[1]).toMatchObject({ armAt: t0 + 126_000, arming: 'spec', baselineAt: t0 + 126_000 });
    expect(p.endAt).toBe(t0 + 156_000);
    expect(windowAt(p, t0 + 15_999)).toBeNull();
    expect(windowAt(p, t0 + 16_000)).toEqual({ experiment: 0, window: 'baseline' });
  });

  it.each([
    [t0 - 1, null],
    [t0, { experiment: 0, window: 'baseline' }],
    [t0 + 30_000, { experiment: 0, window: 'fault' }],
    [t0 + 149_999, { experiment: 0, window: 'fault' }],
    [t0 + 150_000, { experiment: 0, window: 'recovery' }],
    [t0 + 190_200, { experiment: 1, window: 'fault' }],
    [t0 + 250_500, null],
  ])('puts %d in %j', (at, expected) => expect(windowAt(plan, at)).toEqual(expected));

  it('names the field of a bad duration', () => {
    expect(() => planRun(t0, [{ durations: { baseline: '30', fault: '1m', recovery: '1m' } }])).toThrow(
      'experiments[0].durations.baseline: "30" is not a duration',
    );
  });
});

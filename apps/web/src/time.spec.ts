import { countdown, formatDuration, planProgress, planSegments } from './time';

const plan = {
  startAt: 0,
  endAt: 70_000,
  armingLeadMs: 0,
  experiments: [
    { index: 0, armAt: 0, arming: 'lead' as const, baselineAt: 0, injectAt: 10_000, revertAt: 60_000, endAt: 70_000 },
  ],
};

describe('web time helpers', () => {
  it.each([
    [0, '0s'],
    [44_600, '45s'],
    [125_000, '2m 05s'],
    [3_720_000, '1h 02m'],
  ])('formats %d ms as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('counts down to an instant and up after it', () => {
    expect(countdown(15_000, 3_000)).toBe('in 12s');
    expect(countdown(3_000, 15_000)).toBe('12s ago');
  });

  it.each([
    [-1_000, 'before', 10_000, 60_000],
    [5_000, 'baseline', 10_000, 60_000],
    [10_000, 'fault', null, 60_000],
    [60_000, 'recovery', null, null],
    [70_000, 'after', null, null],
  ])('at %d ms the run is in %s (next injection %s, next rollback %s)', (now, window, inject, revert) => {
    const p = planProgress(plan, now);
    expect(p.window).toBe(window);
    expect(p.nextInjectAt).toBe(inject);
    expect(p.nextRevertAt).toBe(revert);
  });

  it('reports the fraction of the run elapsed, clamped to 0..1', () => {
    expect(planProgress(plan, 35_000).fraction).toBe(0.5);
    expect(planProgress(plan, -5).fraction).toBe(0);
    expect(planProgress(plan, 99_000).fraction).toBe(1);
  });

  describe('with arming ahead of the baseline', () => {
    const armed = {
      startAt: 0,
      endAt: 90_000,
      armingLeadMs: 20_000,
      experiments: [
        {
          index: 0,
          armAt: 0,
          arming: 'lead' as const,
          baselineAt: 20_000,
          injectAt: 30_000,
          revertAt: 80_000,
          endAt: 90_000,
        },
      ],
    };

    it('puts the run in arming until the baseline, injection still ahead', () => {
      expect(planProgress(armed, 5_000)).toMatchObject({ window: 'arming', nextInjectAt: 30_000 });
      expect(planProgress(armed, 20_000).window).toBe('baseline');
    });

    it('draws arming as its own segment before the baseline', () => {
      expect(planSegments(armed).map((s) => [s.window, +s.from.toFixed(3), +s.to.toFixed(3)])).toEqual([
        ['arming', 0, 0.222],
        ['baseline', 0.222, 0.333],
        ['fault', 0.333, 0.889],
        ['recovery', 0.889, 1],
      ]);
    });
  });

  it('lays the windows out as fractions of the run', () => {
    expect(planSegments(plan).map((s) => [s.window, +s.from.toFixed(3), +s.to.toFixed(3)])).toEqual([
      ['baseline', 0, 0.143],
      ['fault', 0.143, 0.857],
      ['recovery', 0.857, 1],
    ]);
  });
});

import { baselineLostToArming, judgedWindowAt, observedWindows } from './observed-windows';

describe('observedWindows', () => {
  // baseline 20 s, fault 30 s, recovery 20 s from t = 0
  const plan = { index: 0, baselineAt: 0, injectAt: 20_000, revertAt: 50_000, endAt: 70_000 };

  it('follows the plan when nothing was recorded', () => {
    const w = observedWindows(plan, {});
    expect(w.observed).toEqual(w.planned);
    expect(w.gaps).toEqual([]);
  });

  it('judges the fault while it was in place and shows every gap between plan and reality', () => {
    const w = observedWindows(plan, { armedAt: 9_000, appliedAt: 20_700, revertedAt: 51_200 }, 3_000);
    expect(w.observed).toEqual({
      baseline: { from: 9_000, to: 20_000 },
      fault: { from: 20_700, to: 51_200 },
      recovery: { from: 54_200, to: 70_000 },
    });
    expect(w.gaps).toEqual([
      { kind: 'arming', from: 0, to: 9_000 },
      { kind: 'injection_lag', from: 20_000, to: 20_700 },
      { kind: 'settling', from: 51_200, to: 54_200 },
    ]);
    expect(w.planned.fault).toEqual({ from: 20_000, to: 50_000 });
  });

  it('says how much of the baseline arming took (nothing when it finished in time)', () => {
    expect(baselineLostToArming(observedWindows(plan, { armedAt: 16_000 }))).toEqual({
      lostMs: 16_000,
      baselineMs: 20_000,
    });
    expect(baselineLostToArming(observedWindows(plan, { armedAt: -5_000 }))).toBeNull();
    expect(baselineLostToArming(observedWindows(plan, {}))).toBeNull();
  });

  it('ends the baseline at an early apply (engine clock ahead) and starts recovery at an early revert (abort)', () => {
    const w = observedWindows(plan, { armedAt: 1_000, appliedAt: 19_500, revertedAt: 30_000 });
    expect(w.observed.baseline).toEqual({ from: 1_000, to: 19_500 });
    expect(w.observed.fault).toEqual({ from: 19_500, to: 30_000 });
    expect(w.observed.recovery).toEqual({ from: 30_000, to: 70_000 });
  });

  it('keeps intervals well-formed when arming overran the injection instant or settling the end', () => {
    const w = observedWindows(plan, { armedAt: 25_000, appliedAt: 21_000, revertedAt: 69_000 }, 5_000);
    expect(w.observed.baseline).toEqual({ from: 20_000, to: 20_000 });
    expect(w.observed.recovery).toEqual({ from: 70_000, to: 70_000 });
  });

  it.each([
    [8_999, null],
    [9_000, 'baseline'],
    [20_300, null],
    [20_700, 'fault'],
    [51_199, 'fault'],
    [52_000, null],
    [54_200, 'recovery'],
    [70_000, null],
  ])('places an instant %d in %s', (at, window) => {
    const w = observedWindows(plan, { armedAt: 9_000, appliedAt: 20_700, revertedAt: 51_200 }, 3_000);
    expect(judgedWindowAt(w, at)).toBe(window);
  });
});

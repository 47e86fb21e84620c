import { timeToRecoverMs } from './recovery';
import type { Sample } from './summary';

const at = (t: number, durationMs: number, ok = true): Sample => ({ at: t, durationMs, ok });

describe('timeToRecoverMs', () => {
  const revertAt = 10_000;
  it('is the time from revert to the start of the settled tail', () => {
    const samples = [at(10_100, 900), at(10_600, 400), at(11_000, 25), at(11_500, 21), at(12_000, 19), at(12_500, 22)];
    expect(timeToRecoverMs(samples, revertAt, 20)).toBe(1_000);
  });

  it('ignores a recovered blip followed by a relapse', () => {
    const samples = [at(10_100, 20), at(10_500, 700), at(11_000, 20), at(11_500, 20), at(12_000, 20)];
    expect(timeToRecoverMs(samples, revertAt, 20)).toBe(1_000);
  });

  it('counts failures as not recovered', () => {
    const samples = [at(10_100, 10), at(10_500, 10, false), at(11_000, 10), at(11_500, 10), at(12_000, 10)];
    expect(timeToRecoverMs(samples, revertAt, 20)).toBe(1_000);
  });

  it('is zero when already back at the revert', () => {
    expect(timeToRecoverMs([at(9_990, 20), at(10_500, 20), at(11_000, 20)], revertAt, 20)).toBe(0);
  });

  it('is not voided by a straggler within the scheduling noise of a busy host', () => {
    const samples = [at(10_100, 2), at(10_500, 2), at(11_000, 15), at(11_500, 2), at(12_000, 2)];
    expect(timeToRecoverMs(samples, revertAt, 2)).toBe(100);
  });

  it('is null when the window never settles or there is no baseline', () => {
    expect(timeToRecoverMs([at(10_100, 20), at(10_500, 20), at(11_000, 900)], revertAt, 20)).toBeNull();
    expect(timeToRecoverMs([at(10_100, 20), at(10_500, 20), at(11_000, 20)], revertAt, null)).toBeNull();
  });
});

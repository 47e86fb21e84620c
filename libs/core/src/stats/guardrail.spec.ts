import { GuardrailMonitor } from './guardrail';

const feed = (monitor: GuardrailMonitor, points: Array<[number, number, boolean]>) =>
  points.map(([t, d, ok]) => monitor.push({ at: t, durationMs: d, ok }, t + d)).find((b) => b !== null) ?? null;

describe('GuardrailMonitor', () => {
  it('breaches when the error rate stays above the threshold for the required time', () => {
    const m = new GuardrailMonitor([
      { name: 'errors', metric: 'errorRate', threshold: 0.5, windowMs: 2_000, forMs: 1_000 },
    ]);
    const breach = feed(m, [
      [0, 10, true],
      [200, 10, false],
      [400, 10, false], // 2 of 3 failing: above 0.5 from t=410
      [600, 10, false],
      [1_000, 10, false],
      [1_700, 10, false], // 1_710 - 410 = 1_300 ≥ 1_000 (at 1_010 it was only 600)
    ]);
    expect(breach).toMatchObject({ guardrail: 'errors', metric: 'errorRate', at: 1_710 });
    expect(breach!.actual).toBeCloseTo(5 / 6, 6);
    expect(breach!.reason).toContain('for 1300 ms');
  });

  it('resets the timer when the metric drops back', () => {
    const m = new GuardrailMonitor([
      { name: 'errors', metric: 'errorRate', threshold: 0.5, windowMs: 600, forMs: 500, minSamples: 2 },
    ]);
    const breach = feed(m, [
      [0, 5, false],
      [300, 5, false], // above since 305
      [600, 5, true],
      [700, 5, true], // window (105..705]: 1 of 3 failing → below, reset
      [800, 5, false],
      [1_000, 5, false],
    ]);
    expect(breach).toBeNull();
  });

  it('breaches at once on a latency threshold with forMs 0', () => {
    const m = new GuardrailMonitor([{ name: 'slow', metric: 'p99Ms', threshold: 1_000, windowMs: 5_000, forMs: 0 }]);
    expect(
      feed(m, [
        [0, 100, true],
        [100, 100, true],
        [200, 2_000, true],
      ]),
    ).toMatchObject({ guardrail: 'slow', actual: expect.any(Number) });
  });

  it('decides nothing on too few samples and keeps the first breach', () => {
    const m = new GuardrailMonitor([{ name: 'slow', metric: 'meanMs', threshold: 10, windowMs: 5_000, forMs: 0 }]);
    expect(m.push({ at: 0, durationMs: 500, ok: true })).toBeNull();
    expect(m.push({ at: 1, durationMs: 500, ok: true })).toBeNull();
    const first = m.push({ at: 2, durationMs: 500, ok: true });
    expect(first).not.toBeNull();
    expect(m.push({ at: 3, durationMs: 1, ok: true })).toBe(first);
  });
});

describe('GuardrailMonitor with several probes', () => {
  it("judges a guardrail on one probe by that probe's samples only", () => {
    const m = new GuardrailMonitor([
      { name: 'fast-front', metric: 'p50Ms', threshold: 100, windowMs: 10_000, forMs: 0, probe: 'front' },
      { name: 'errors', metric: 'errorRate', threshold: 0.9, windowMs: 10_000, forMs: 0 },
    ]);
    // front answers in 10 ms; back in 500 ms: only "front"'s guardrail may look at front
    for (let t = 0; t < 2_000; t += 100) {
      expect(m.push({ at: t, durationMs: 10, ok: true }, t + 10, 'front')).toBeNull();
      expect(m.push({ at: t, durationMs: 500, ok: true }, t + 500, 'back')).toBeNull();
    }
  });

  it("breaches on a query value ('value' is the latest measured one) and ignores evaluations without a value", () => {
    const m = new GuardrailMonitor([
      { name: 'error-ratio', metric: 'value', threshold: 0.05, windowMs: 10_000, forMs: 1_000, probe: 'ratio' },
    ]);
    const q = (t: number, value: number | undefined) =>
      m.push(
        value === undefined
          ? { at: t, durationMs: 3, ok: false, errorKind: 'no_data' }
          : { at: t, durationMs: 3, ok: true, value },
        t + 3,
        'ratio',
      );
    expect(q(0, 0.01)).toBeNull();
    expect(q(1_000, 0.01)).toBeNull();
    expect(q(2_000, 0.5)).toBeNull(); // above from 2 003
    expect(q(2_500, undefined)).toBeNull(); // no value: the latest measured one (0.5) still stands
    const breach = q(3_100, 0.6);
    expect(breach).toMatchObject({ guardrail: 'error-ratio', metric: 'value', actual: 0.6, at: 3_103 });
  });
});

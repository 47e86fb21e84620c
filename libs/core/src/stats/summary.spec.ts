import { percentile, summarize, type Sample } from './summary';

const sample = (durationMs: number, ok = true, extra: Partial<Sample> = {}): Sample => ({
  at: 0,
  durationMs,
  ok,
  ...extra,
});

describe('percentile', () => {
  it.each([
    [[], 50, null],
    [[7], 99, 7],
    [[1, 2, 3, 4], 50, 2.5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95, 9.55],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 1],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
  ])('of %j at p%d is %p', (values, p, expected) => {
    const got = percentile(values, p);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected, 9);
  });
});

describe('summarize', () => {
  it('counts errors by kind and statuses, and includes failed samples in latency', () => {
    const s = summarize([
      sample(10, true, { status: 200 }),
      sample(20, true, { status: 200 }),
      sample(300, false, { status: 500, errorKind: 'status_mismatch' }),
      sample(1000, false, { errorKind: 'timeout' }),
    ]);
    expect(s).toMatchObject({
      count: 4,
      errors: 2,
      errorRate: 0.5,
      errorsByKind: { status_mismatch: 1, timeout: 1 },
      statusCounts: { '200': 2, '500': 1, none: 1 },
      meanMs: 332.5,
      minMs: 10,
      maxMs: 1000,
      p50Ms: 160,
    });
  });

  it('has no latency figures without samples', () => {
    expect(summarize([])).toMatchObject({ count: 0, errorRate: 0, p50Ms: null, meanMs: null });
  });
});

describe('summarize with query values', () => {
  it('judges the value where there is one and leaves evaluations without a value out of the percentiles', () => {
    const s = summarize([
      { at: 0, durationMs: 4, ok: true, value: 0.1 },
      { at: 1, durationMs: 5, ok: true, value: 0.3 },
      { at: 2, durationMs: 2_000, ok: false, errorKind: 'query_timeout' },
      { at: 3, durationMs: 6, ok: false, errorKind: 'out_of_range', value: 0.9 },
    ]);
    expect(s.count).toBe(4);
    expect(s.errorRate).toBe(0.5);
    expect(s.maxMs).toBe(0.9);
    expect(s.p50Ms).toBe(0.3);
    expect(s.meanMs).toBeCloseTo(1.3 / 3, 3);
  });
});

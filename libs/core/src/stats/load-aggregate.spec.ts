import { bucketOf, bucketUpperMs, LoadAggregator, mergeInto, summarizeAggregates } from './load-aggregate';
import { summarize, type Sample } from './summary';

// a deterministic spread of latencies: a fast mode, a slow mode, timeouts
function samples(n: number, seed = 7): Sample[] {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => {
    const r = rnd();
    const durationMs = r < 0.8 ? 5 + rnd() * 20 : r < 0.97 ? 300 + rnd() * 200 : 2000;
    const ok = r < 0.97;
    return {
      at: 1_700_000_000_000 + i * 3,
      durationMs,
      ok,
      status: ok ? 200 : undefined,
      ...(ok ? {} : { errorKind: 'timeout' }),
    };
  });
}

describe('load aggregates', () => {
  it('bucket i holds (upper(i-1), upper(i)], 16 buckets per doubling', () => {
    for (const ms of [0.01, 0.05, 0.051, 1, 7.3, 250, 2000, 59_999]) {
      const i = bucketOf(ms);
      expect(ms).toBeLessThanOrEqual(bucketUpperMs(i) + 1e-9);
      if (i > 0) expect(ms).toBeGreaterThan(bucketUpperMs(i - 1));
    }
    expect(bucketOf(2) - bucketOf(1)).toBe(16);
  });

  it('summarises like the raw samples: counts, errors, statuses and mean exact, percentiles within 4.5 %', () => {
    const raw = samples(20_000);
    const agg = new LoadAggregator();
    for (const s of raw) agg.add('fault', s);
    const aggregates = agg.take();
    expect(aggregates.length).toBe(60); // 20 000 requests, 3 ms apart: 60 seconds
    const exact = summarize(raw);
    const approx = summarizeAggregates(aggregates);
    expect(approx).toMatchObject({
      count: exact.count,
      errors: exact.errors,
      errorsByKind: exact.errorsByKind,
      statusCounts: exact.statusCounts,
      minMs: exact.minMs,
      maxMs: exact.maxMs,
    });
    expect(approx.meanMs).toBeCloseTo(exact.meanMs!, 2);
    for (const p of ['p50Ms', 'p95Ms', 'p99Ms'] as const)
      expect(Math.abs(approx[p]! - exact[p]!) / exact[p]!).toBeLessThan(0.045);
  });

  it('partial aggregates of one second (late answers) add up to the whole', () => {
    const raw = samples(1_000);
    const whole = new LoadAggregator();
    const parts = new LoadAggregator();
    const taken = [];
    raw.forEach((s, i) => {
      whole.add('baseline', s);
      parts.add('baseline', s);
      if (i % 97 === 0) taken.push(...parts.take());
    });
    taken.push(...parts.take());
    expect(summarizeAggregates(taken)).toEqual(summarizeAggregates(whole.take()));
    const merged = taken.slice(1).reduce((a, b) => mergeInto(a, b), structuredClone(taken[0]));
    expect(merged.count).toBe(1_000);
  });

  it('an empty set summarises to nulls', () => {
    expect(summarizeAggregates([])).toMatchObject({ count: 0, errorRate: 0, p50Ms: null, meanMs: null, minMs: null });
  });
});

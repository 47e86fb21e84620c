import type { PlannedWindow } from '../run/run-plan';
import type { Sample, SampleSummary } from './summary';

/**
 * The load generator's answers, kept as one aggregate per second and planned window instead of
 * one row per request: 1 000 requests/s for 6 h would be 21 M rows (and as many objects in the
 * worker's memory); as aggregates it is 21 600, whatever the rate. Latency goes into a log-scale
 * histogram whose buckets are 2^(1/16) apart, so a percentile read from it is within 4.4 % of the
 * exact one.
 */
export interface LoadAggregate {
  /** epoch ms of the start of the second the requests started in */
  at: number;
  window: PlannedWindow;
  count: number;
  errors: number;
  errorsByKind: Record<string, number>;
  statusCounts: Record<string, number>;
  sumMs: number;
  minMs: number;
  maxMs: number;
  /** histogram bucket index (see bucketOf) → requests */
  buckets: Record<string, number>;
}

const BUCKETS_PER_DOUBLING = 16;
/** the upper bound of bucket 0; anything faster counts there */
const SMALLEST_MS = 0.05;

/** The bucket a latency falls in: bucket i holds (upper(i-1), upper(i)]. */
export function bucketOf(ms: number): number {
  if (!(ms > SMALLEST_MS)) return 0;
  return Math.ceil(Math.log2(ms / SMALLEST_MS) * BUCKETS_PER_DOUBLING - 1e-9);
}

export function bucketUpperMs(index: number): number {
  return SMALLEST_MS * 2 ** (index / BUCKETS_PER_DOUBLING);
}

/** An aggregate of no requests (merge others into it). */
export function emptyLoadAggregate(at: number, window: PlannedWindow): LoadAggregate {
  return {
    at,
    window,
    count: 0,
    errors: 0,
    errorsByKind: {},
    statusCounts: {},
    sumMs: 0,
    minMs: Infinity,
    maxMs: -Infinity,
    buckets: {},
  };
}

const addTo = (counts: Record<string, number>, key: string, n: number) => (counts[key] = (counts[key] ?? 0) + n);

/** Adds `from` into `into` (same second and window, or a coarser roll-up). */
export function mergeInto(into: LoadAggregate, from: LoadAggregate): LoadAggregate {
  into.count += from.count;
  into.errors += from.errors;
  into.sumMs += from.sumMs;
  into.minMs = Math.min(into.minMs, from.minMs);
  into.maxMs = Math.max(into.maxMs, from.maxMs);
  for (const [k, n] of Object.entries(from.errorsByKind)) addTo(into.errorsByKind, k, n);
  for (const [k, n] of Object.entries(from.statusCounts)) addTo(into.statusCounts, k, n);
  for (const [k, n] of Object.entries(from.buckets)) addTo(into.buckets, k, n);
  return into;
}

/**
 * Aggregates samples as they arrive. `take()` hands over what arrived since the last call (a
 * late answer to a request of an earlier second makes a second, partial aggregate for that
 * second: aggregates merge, so storage and judgement simply add them up).
 */
export class LoadAggregator {
  private pending = new Map<string, LoadAggregate>();

  add(window: PlannedWindow, sample: Sample): void {
    const at = Math.floor(sample.at / 1000) * 1000;
    const key = `${at}|${window}`;
    let agg = this.pending.get(key);
    if (!agg) this.pending.set(key, (agg = emptyLoadAggregate(at, window)));
    agg.count++;
    agg.sumMs += sample.durationMs;
    agg.minMs = Math.min(agg.minMs, sample.durationMs);
    agg.maxMs = Math.max(agg.maxMs, sample.durationMs);
    addTo(agg.buckets, String(bucketOf(sample.durationMs)), 1);
    addTo(agg.statusCounts, sample.status === undefined ? 'none' : String(sample.status), 1);
    if (!sample.ok) {
      agg.errors++;
      addTo(agg.errorsByKind, sample.errorKind ?? 'error', 1);
    }
  }

  take(): LoadAggregate[] {
    const out = [...this.pending.values()];
    this.pending = new Map();
    return out;
  }
}

/**
 * The same summary as `summarize` gives for raw samples (every answer is measured: a timeout is
 * a slow answer), with percentiles read from the merged histogram: the upper bound of the bucket
 * holding the rank `summarize` interpolates from, clamped to the observed min and max.
 */
export function summarizeAggregates(aggregates: readonly LoadAggregate[]): SampleSummary {
  const all = aggregates.reduce((acc, a) => mergeInto(acc, a), emptyLoadAggregate(0, 'baseline'));
  const { count } = all;
  const sorted = Object.entries(all.buckets)
    .map(([k, n]) => [Number(k), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const at = (p: number): number | null => {
    if (count === 0) return null;
    const rank = Math.floor((p / 100) * (count - 1));
    let seen = 0;
    for (const [index, n] of sorted) {
      seen += n;
      if (seen > rank) return Math.min(all.maxMs, Math.max(all.minMs, round3(bucketUpperMs(index))));
    }
    return all.maxMs;
  };
  return {
    count,
    errors: all.errors,
    errorRate: count === 0 ? 0 : all.errors / count,
    errorsByKind: all.errorsByKind,
    statusCounts: all.statusCounts,
    meanMs: count === 0 ? null : round3(all.sumMs / count),
    minMs: count === 0 ? null : all.minMs,
    maxMs: count === 0 ? null : all.maxMs,
    p50Ms: at(50),
    p95Ms: at(95),
    p99Ms: at(99),
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

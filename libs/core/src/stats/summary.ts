/** One observation of the system under test (a probe request, a load request, a PromQL evaluation). */
export interface Sample {
  /** epoch milliseconds when the request started */
  at: number;
  durationMs: number;
  /** a prometheus probe's query value: the measure judged instead of the duration */
  value?: number;
  ok: boolean;
  status?: number;
  /** e.g. timeout, connect_refused, status_mismatch */
  errorKind?: string;
}

export interface SampleSummary {
  count: number;
  errors: number;
  errorRate: number;
  errorsByKind: Record<string, number>;
  statusCounts: Record<string, number>;
  meanMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/**
 * Percentile with linear interpolation between closest ranks (the "type 7" estimator used by
 * numpy and Prometheus-free tooling), so small samples give stable, explainable numbers.
 * `sorted` must be ascending.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[sorted.length - 1];
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

const round3 = (n: number | null) => (n === null ? null : Math.round(n * 1000) / 1000);

/**
 * Errors that carry no measure: a PromQL evaluation that failed or returned nothing has no value,
 * unlike an HTTP timeout, whose duration is the wait a user had.
 */
export const UNMEASURED_ERROR_KINDS: readonly string[] = ['query_error', 'query_timeout', 'no_data', 'many_series'];

export const isMeasured = (s: Sample): boolean => s.ok || !UNMEASURED_ERROR_KINDS.includes(s.errorKind ?? '');

/** What tolerances and guardrails judge: the query value where there is one, else the latency. */
export const measureOf = (s: Sample): number => s.value ?? s.durationMs;

/**
 * Latency percentiles are over every measured sample (errors included: a timeout is a slow
 * answer); errors without a measure count only in the error rate.
 */
export function summarize(samples: readonly Sample[]): SampleSummary {
  const measured = samples.filter(isMeasured);
  const durations = measured.map(measureOf).sort((a, b) => a - b);
  const errorsByKind: Record<string, number> = {};
  const statusCounts: Record<string, number> = {};
  let errors = 0;
  let sum = 0;
  for (const s of samples) {
    if (isMeasured(s)) sum += measureOf(s);
    if (!s.ok) {
      errors++;
      const kind = s.errorKind ?? 'error';
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
    }
    const key = s.status === undefined ? 'none' : String(s.status);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
  }
  const count = samples.length;
  return {
    count,
    errors,
    errorRate: count === 0 ? 0 : errors / count,
    errorsByKind,
    statusCounts,
    meanMs: round3(durations.length === 0 ? null : sum / durations.length),
    minMs: durations.length === 0 ? null : durations[0],
    maxMs: durations.length === 0 ? null : durations[durations.length - 1],
    p50Ms: round3(percentile(durations, 50)),
    p95Ms: round3(percentile(durations, 95)),
    p99Ms: round3(percentile(durations, 99)),
  };
}

/** One observation of the system under test (a probe request or a load request). */
export interface Sample {
  /** epoch milliseconds when the request started */
  at: number;
  durationMs: number;
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

/** Latency percentiles are over every sample (errors included: a timeout is a slow answer). */
export function summarize(samples: readonly Sample[]): SampleSummary {
  const durations = samples.map((s) => s.durationMs).sort((a, b) => a - b);
  const errorsByKind: Record<string, number> = {};
  const statusCounts: Record<string, number> = {};
  let errors = 0;
  let sum = 0;
  for (const s of samples) {
    sum += s.durationMs;
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
    meanMs: round3(count === 0 ? null : sum / count),
    minMs: count === 0 ? null : durations[0],
    maxMs: count === 0 ? null : durations[count - 1],
    p50Ms: round3(percentile(durations, 50)),
    p95Ms: round3(percentile(durations, 95)),
    p99Ms: round3(percentile(durations, 99)),
  };
}

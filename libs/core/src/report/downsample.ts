import type { ReportSample } from './report.types';

/** More points than this make a page slow to open for no visible gain. */
export const DEFAULT_MAX_CHART_POINTS = 5_000;

/**
 * Thins samples for the chart while keeping what a reader looks for: per probe and time bucket the
 * fastest and the slowest sample, and the first error, so spikes and failures stay visible.
 * Returns the input unchanged when it is small enough. Output is ordered by time.
 */
export function downsampleSamples(
  samples: readonly ReportSample[],
  maxPoints = DEFAULT_MAX_CHART_POINTS,
): ReportSample[] {
  if (samples.length <= maxPoints) return [...samples].sort((a, b) => a.at - b.at);
  const byProbe = new Map<string, ReportSample[]>();
  for (const s of samples) {
    const list = byProbe.get(s.probe) ?? [];
    list.push(s);
    byProbe.set(s.probe, list);
  }
  // up to three points per bucket
  const buckets = Math.max(1, Math.floor(maxPoints / 3 / byProbe.size));
  const kept: ReportSample[] = [];
  for (const list of byProbe.values()) {
    list.sort((a, b) => a.at - b.at);
    const t0 = list[0].at;
    const span = Math.max(1, list[list.length - 1].at - t0);
    let current = -1;
    let group: ReportSample[] = [];
    const flush = () => {
      if (group.length === 0) return;
      let min = group[0];
      let max = group[0];
      for (const s of group) {
        if (s.durationMs < min.durationMs) min = s;
        if (s.durationMs > max.durationMs) max = s;
      }
      const picked = new Set([min, max]);
      const error = group.find((s) => !s.ok);
      if (error && ![...picked].some((s) => !s.ok)) picked.add(error);
      kept.push(...[...picked].sort((a, b) => a.at - b.at));
      group = [];
    };
    for (const s of list) {
      const bucket = Math.min(buckets - 1, Math.floor(((s.at - t0) / span) * buckets));
      if (bucket !== current) {
        flush();
        current = bucket;
      }
      group.push(s);
    }
    flush();
  }
  return kept.sort((a, b) => a.at - b.at);
}

import { measureOf, type Sample } from './summary';

export interface RecoveryOptions {
  /** a sample is "back" when its latency is at most baselineP95 × (1 + slack); default 0.5 */
  slack?: number;
  /**
   * latency noise floor in ms added to the threshold, so tiny baselines are not over-strict;
   * default 20: a busy host's scheduler alone delays a request by 10+ ms, and with 5 ms one such
   * straggler voided the recovery of a 2 ms-baseline target (a CI run's run-lifecycle test)
   */
  floorMs?: number;
  /** the recovered tail must hold at least this many samples; default 3 */
  minSamples?: number;
}

/**
 * Time to recover: from the revert instant to the first sample after which every sample of the
 * recovery window is back within tolerance of the baseline (latency under the threshold and not
 * failing). Null when the window never settles.
 */
export function timeToRecoverMs(
  recovery: readonly Sample[],
  revertAt: number,
  baselineP95Ms: number | null,
  options: RecoveryOptions = {},
): number | null {
  if (baselineP95Ms === null) return null;
  const threshold = baselineP95Ms * (1 + (options.slack ?? 0.5)) + (options.floorMs ?? 20);
  const sorted = [...recovery].sort((a, b) => a.at - b.at);
  let start = sorted.length;
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (!sorted[i].ok || measureOf(sorted[i]) > threshold) break;
    start = i;
  }
  if (sorted.length - start < (options.minSamples ?? 3)) return null;
  return Math.max(0, sorted[start].at - revertAt);
}

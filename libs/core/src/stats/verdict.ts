import type { SampleSummary } from './summary';

/** Thresholds a window must meet for the hypothesis to hold. Every field is optional. */
export interface Tolerance {
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  meanMs?: number;
  /** 0..1 */
  maxErrorRate?: number;
  /** 0..1 — e.g. the timeout path is expected to fail fast, not to succeed */
  minErrorRate?: number;
  /** statuses that count as the expected answer (e.g. [500] for "returns 500 within 350 ms") */
  expectedStatus?: number[];
  /** share of samples whose status must be in expectedStatus; default 0.95 */
  minStatusMatchRatio?: number;
  /** window p95 divided by baseline p95 */
  maxDeviationRatio?: number;
  /**
   * window p50 / p95 minus the same run's baseline p50 / p95, in ms: "answers within ~300 ms of
   * what it took before the fault" holds on a fast host and on a slow lab alike, because the
   * overhead both windows share cancels out
   */
  maxP50AboveBaselineMs?: number;
  maxP95AboveBaselineMs?: number;
}

/** Samples a checked window needs when the hypothesis does not say (tolerances.minSamples). */
export const DEFAULT_MIN_SAMPLES = 5;

export interface HypothesisCriteria {
  fault?: Tolerance;
  recovery?: Tolerance;
  /** fewer samples than this in a checked window makes the verdict inconclusive; default 5 */
  minSamples?: number;
}

export type WindowName = 'baseline' | 'fault' | 'recovery';

export interface Check {
  window: WindowName;
  metric: string;
  comparator: '<=' | '>=';
  threshold: number;
  actual: number | null;
  passed: boolean;
}

export type VerdictName = 'hypothesis_held' | 'hypothesis_violated' | 'aborted' | 'inconclusive';

export interface VerdictResult {
  verdict: VerdictName;
  reason: string;
  checks: Check[];
  /** fault-window p95 / baseline p95; null when either is missing */
  deviationRatio: number | null;
}

export interface WindowSummaries {
  baseline: SampleSummary;
  fault: SampleSummary;
  recovery: SampleSummary;
}

export function deviationRatio(window: SampleSummary, baseline: SampleSummary): number | null {
  if (window.p95Ms === null || baseline.p95Ms === null || baseline.p95Ms <= 0) return null;
  return Math.round((window.p95Ms / baseline.p95Ms) * 1000) / 1000;
}

function above(window: number | null, baseline: number | null): number | null {
  return window === null || baseline === null ? null : Math.round((window - baseline) * 1000) / 1000;
}

const BASELINE_RELATIVE = new Set(['deviationRatio', 'p50AboveBaselineMs', 'p95AboveBaselineMs']);

function statusMatchRatio(summary: SampleSummary, expected: number[]): number | null {
  if (summary.count === 0) return null;
  const matching = expected.reduce((n, status) => n + (summary.statusCounts[String(status)] ?? 0), 0);
  return matching / summary.count;
}

function checksFor(window: WindowName, summary: SampleSummary, baseline: SampleSummary, t: Tolerance): Check[] {
  const checks: Check[] = [];
  const add = (metric: string, comparator: '<=' | '>=', threshold: number, actual: number | null) =>
    checks.push({
      window,
      metric,
      comparator,
      threshold,
      actual,
      passed: actual !== null && (comparator === '<=' ? actual <= threshold : actual >= threshold),
    });
  if (t.p50Ms !== undefined) add('p50Ms', '<=', t.p50Ms, summary.p50Ms);
  if (t.p95Ms !== undefined) add('p95Ms', '<=', t.p95Ms, summary.p95Ms);
  if (t.p99Ms !== undefined) add('p99Ms', '<=', t.p99Ms, summary.p99Ms);
  if (t.meanMs !== undefined) add('meanMs', '<=', t.meanMs, summary.meanMs);
  const errorRate = summary.count === 0 ? null : summary.errorRate;
  if (t.maxErrorRate !== undefined) add('errorRate', '<=', t.maxErrorRate, errorRate);
  if (t.minErrorRate !== undefined) add('errorRate', '>=', t.minErrorRate, errorRate);
  if (t.expectedStatus !== undefined && t.expectedStatus.length > 0)
    add(
      `statusIn[${t.expectedStatus.join(',')}]`,
      '>=',
      t.minStatusMatchRatio ?? 0.95,
      statusMatchRatio(summary, t.expectedStatus),
    );
  if (t.maxDeviationRatio !== undefined)
    add('deviationRatio', '<=', t.maxDeviationRatio, deviationRatio(summary, baseline));
  if (t.maxP50AboveBaselineMs !== undefined)
    add('p50AboveBaselineMs', '<=', t.maxP50AboveBaselineMs, above(summary.p50Ms, baseline.p50Ms));
  if (t.maxP95AboveBaselineMs !== undefined)
    add('p95AboveBaselineMs', '<=', t.maxP95AboveBaselineMs, above(summary.p95Ms, baseline.p95Ms));
  return checks;
}

/**
 * The steady state has to hold before the fault too, or the experiment says nothing about the
 * fault: the baseline meets the recovery tolerance's own (not baseline-relative) checks, the state
 * the system is expected to return to. Chaos Toolkit checks its steady state before the method for
 * the same reason.
 */
function steadyStateChecks(windows: WindowSummaries, criteria: HypothesisCriteria): Check[] {
  if (!criteria.recovery) return [];
  return checksFor('baseline', windows.baseline, windows.baseline, criteria.recovery).filter(
    (c) => !BASELINE_RELATIVE.has(c.metric),
  );
}

/** Arming that overran its reserve took this much of the planned baseline (see baselineLostToArming). */
export interface ArmingOverrun {
  lostMs: number;
  baselineMs: number;
}

/** "16 s", "0.4 s": how people read the seconds arming took. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
}

/** "arming took 16 s of the 20 s baseline": the cause, named where the verdict is explained. */
export function describeArmingOverrun(o: ArmingOverrun): string {
  return `arming took ${seconds(o.lostMs)} of the ${seconds(o.baselineMs)} baseline`;
}

const describeCheck = (c: Check) =>
  `${c.window} ${c.metric} ${c.actual ?? 'n/a'} (expected ${c.comparator} ${c.threshold})`;

/**
 * Decides the verdict of one experiment from its three windows. Aborted runs keep their checks
 * (the numbers behind the abort) but the verdict stays `aborted`. Too little data, or a baseline
 * that was not in the steady state, is `inconclusive`, never a pass.
 */
export function evaluateHypothesis(
  windows: WindowSummaries,
  criteria: HypothesisCriteria,
  aborted?: string,
  armingOverrun?: ArmingOverrun | null,
): VerdictResult {
  const result = judge(windows, criteria, aborted, armingOverrun ?? null);
  if (!armingOverrun || result.verdict === 'aborted') return result;
  // a baseline shortened by arming is said beside any other outcome, so nobody mistakes it for a full one
  const cause = describeArmingOverrun(armingOverrun);
  return result.reason.includes(cause) ? result : { ...result, reason: `${result.reason}; ${cause}` };
}

function judge(
  windows: WindowSummaries,
  criteria: HypothesisCriteria,
  aborted: string | undefined,
  armingOverrun: ArmingOverrun | null,
): VerdictResult {
  const minSamples = criteria.minSamples ?? DEFAULT_MIN_SAMPLES;
  const steady = steadyStateChecks(windows, criteria);
  const checks = [
    ...steady,
    ...(criteria.fault ? checksFor('fault', windows.fault, windows.baseline, criteria.fault) : []),
    ...(criteria.recovery ? checksFor('recovery', windows.recovery, windows.baseline, criteria.recovery) : []),
  ];
  const deviation = deviationRatio(windows.fault, windows.baseline);
  if (aborted) return { verdict: 'aborted', reason: aborted, checks, deviationRatio: deviation };
  if (checks.length === steady.length)
    return {
      verdict: 'inconclusive',
      reason: 'the hypothesis states no tolerance to check',
      checks,
      deviationRatio: deviation,
    };

  const needed = new Set<WindowName>(checks.map((c) => c.window));
  if (checks.some((c) => BASELINE_RELATIVE.has(c.metric))) needed.add('baseline');
  const thin = [...needed].filter((w) => windows[w].count < minSamples);
  if (thin.length > 0) {
    // a baseline arming ate is named by its cause: the fix is more arming time, not more samples
    const eaten = armingOverrun && thin.includes('baseline');
    const others = eaten ? thin.filter((w) => w !== 'baseline') : thin;
    const reasons = [
      ...(eaten ? [`${describeArmingOverrun(armingOverrun)} (${windows.baseline.count} < ${minSamples} samples)`] : []),
      ...(others.length > 0
        ? [`too few samples in ${others.map((w) => `${w} (${windows[w].count} < ${minSamples})`).join(', ')}`]
        : []),
    ];
    return { verdict: 'inconclusive', reason: reasons.join('; '), checks, deviationRatio: deviation };
  }

  const unsteady = steady.filter((c) => !c.passed);
  if (unsteady.length > 0)
    return {
      verdict: 'inconclusive',
      reason: `the steady state did not hold before the fault: ${unsteady.map(describeCheck).join('; ')}`,
      checks,
      deviationRatio: deviation,
    };

  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0)
    return {
      verdict: 'hypothesis_violated',
      reason: failed.map(describeCheck).join('; '),
      checks,
      deviationRatio: deviation,
    };
  return {
    verdict: 'hypothesis_held',
    reason: `all ${checks.length} checks passed`,
    checks,
    deviationRatio: deviation,
  };
}

/** The verdict of a run of several experiments: the worst of theirs. */
export function combineVerdicts(verdicts: VerdictName[]): VerdictName {
  const order: VerdictName[] = ['aborted', 'hypothesis_violated', 'inconclusive', 'hypothesis_held'];
  if (verdicts.length === 0) return 'inconclusive';
  return order.find((v) => verdicts.includes(v))!;
}

import type { ReportCheck } from './report.types';

/**
 * A run's resilience score, 0–100, from what the run stored (its status, verdict and result): the
 * same stored run always scores the same. Every lost point is a deduction with its reason, so a
 * team can see what to fix. Like Litmus's resilience score it rests on the hypothesis checks
 * (probe success), and like krkn's SLO severities it weighs what users felt: errors and latency
 * beyond the baseline during the fault and after it. The weights are documented in README.md
 * ("Resilience score"); change them only with RESILIENCE_SCORE_VERSION.
 */

/** Bumped whenever a weight or a rule changes: scores of different versions are not comparable. */
export const RESILIENCE_SCORE_VERSION = 1;

/** Points each deduction can cost one experiment (out of 100); see README.md. */
export const RESILIENCE_WEIGHTS = Object.freeze({
  /** the experiment's verdict is hypothesis_violated */
  hypothesisViolated: 20,
  /** shared among the fault and recovery checks: each failed one costs weight / their number */
  checksFailed: 30,
  /** a guardrail stopped the experiment */
  guardrailAbort: 40,
  /** the verdict is inconclusive: nothing shows the hypothesis held */
  inconclusive: 30,
  /** × (window error rate − baseline error rate), when the hypothesis states no error tolerance there */
  faultErrorRate: 15,
  recoveryErrorRate: 15,
  /** cap of the latency deductions (p95 over baseline p95), when the hypothesis states no latency bound there */
  faultLatency: 10,
  recoveryLatency: 10,
  /** the recovery window never settled back to the baseline (no time to recover) */
  notRecovered: 15,
  /** × (share of the planned baseline arming took) */
  armingOverran: 10,
});

/** Error-rate excess below this (one percentage point) is noise, not a deduction. */
const ERROR_RATE_NOISE = 0.01;
/** Fault-window p95 up to this multiple of the baseline's costs nothing (a fault is expected to show). */
const FAULT_LATENCY_FREE_RATIO = 2;
/** Recovery p95 up to this multiple of the baseline's costs nothing (the time-to-recover slack). */
const RECOVERY_LATENCY_FREE_RATIO = 1.5;

export type DeductionCode =
  | 'hypothesis_violated'
  | 'check_failed'
  | 'guardrail_abort'
  | 'inconclusive'
  | 'fault_error_rate'
  | 'fault_latency'
  | 'recovery_error_rate'
  | 'recovery_latency'
  | 'not_recovered'
  | 'arming_overran';

export interface ScoreDeduction {
  code: DeductionCode;
  experimentIndex: number;
  /** for people: what was expected and what was measured */
  reason: string;
  /** points lost from 100 (already divided among the run's experiments) */
  points: number;
}

export interface ResilienceScore {
  /** 0–100 (one decimal), or null when the run gave nothing to score */
  score: number | null;
  /** why there is no score; null when there is one */
  unscoredReason: string | null;
  /** score = 100 − the sum of their points (to rounding) */
  deductions: ScoreDeduction[];
  version: number;
}

interface ScoredWindowStats {
  count: number;
  errorRate: number;
  p95Ms: number | null;
}

/** What scoring reads of one experiment: the stored result (ExperimentResult) and the report's both fit. */
export interface ScoredExperiment {
  index: number;
  name: string;
  stats?: Partial<Record<'baseline' | 'fault' | 'recovery', ScoredWindowStats>>;
  verdict?: { verdict: string; reason: string; checks: readonly ReportCheck[] };
  windows?: {
    planned: { baseline: { from: number; to: number } };
    gaps: readonly { kind: string; from: number; to: number }[];
  };
  timeToRecoverMs?: number | null;
  aborted?: { trigger: string; reason: string } | null;
}

export interface ScoredRun {
  status: string;
  verdict?: string | null;
  experiments: readonly ScoredExperiment[];
  error?: string | null;
  abortReason?: string | null;
}

const ABORTED_BY: Record<string, string> = { operator: 'an operator', verification: 'a failed verification' };

const SCORED_VERDICTS = new Set(['hypothesis_held', 'hypothesis_violated', 'inconclusive']);
const LATENCY_METRICS = new Set([
  'p50Ms',
  'p95Ms',
  'p99Ms',
  'meanMs',
  'deviationRatio',
  'p50AboveBaselineMs',
  'p95AboveBaselineMs',
]);
const isErrorMetric = (metric: string) => metric === 'errorRate' || metric.startsWith('statusIn[');

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const percent = (rate: number) => `${round(rate * 100, 1)} %`;
const times = (ratio: number) => `${round(ratio, 2)}×`;

function unscored(reason: string): ResilienceScore {
  return { score: null, unscoredReason: reason, deductions: [], version: RESILIENCE_SCORE_VERSION };
}

/** Why a run has no score, or null when it can be scored. */
function unscoredReason(run: ScoredRun): string | null {
  const because = (what: string | null | undefined) => (what ? `: ${what}` : '');
  if (run.status === 'failed') return `the run failed before a verdict${because(run.error)}`;
  if (run.status === 'cancelled' || run.status === 'skipped') return `the run was ${run.status}`;
  if (run.status !== 'completed' && run.status !== 'aborted') return `the run has not finished (${run.status})`;
  if (!run.verdict) return 'the run has no verdict';
  if (run.experiments.length === 0) return 'no experiment was judged';
  if (run.verdict === 'aborted') {
    // a guardrail abort is a finding about the system; an operator's or a failed verification's is not
    const guardrail = run.experiments.some((e) => e.aborted?.trigger === 'guardrail');
    if (!guardrail) {
      const trigger = run.experiments.find((e) => e.aborted)?.aborted?.trigger ?? 'operator';
      const by = ABORTED_BY[trigger] ?? trigger;
      return `aborted by ${by} before a verdict${because(run.abortReason)}`;
    }
  } else if (!SCORED_VERDICTS.has(run.verdict)) return `unknown verdict ${run.verdict}`;
  return null;
}

/** One experiment's deductions at full weight (out of 100), in the order they are capped. */
function experimentDeductions(e: ScoredExperiment): Omit<ScoreDeduction, 'experimentIndex'>[] {
  const W = RESILIENCE_WEIGHTS;
  const out: Omit<ScoreDeduction, 'experimentIndex'>[] = [];
  const add = (code: DeductionCode, points: number, reason: string) => {
    if (points > 0) out.push({ code, points, reason });
  };
  const verdict = e.verdict?.verdict;
  if (e.aborted?.trigger === 'guardrail') add('guardrail_abort', W.guardrailAbort, e.aborted.reason);
  if (verdict === 'hypothesis_violated') add('hypothesis_violated', W.hypothesisViolated, e.verdict!.reason);
  if (verdict === 'inconclusive') add('inconclusive', W.inconclusive, e.verdict!.reason);

  // baseline checks are the steady state before the fault: when they fail the verdict is inconclusive
  const judged = (e.verdict?.checks ?? []).filter((c) => c.window === 'fault' || c.window === 'recovery');
  for (const c of judged) {
    // a check without a measure is "too few samples", which the inconclusive deduction covers
    if (c.passed || c.actual === null) continue;
    add(
      'check_failed',
      W.checksFailed / judged.length,
      `${c.window} ${c.metric}: expected ${c.comparator} ${c.threshold}, measured ${round(c.actual, 3)}`,
    );
  }

  const baseline = e.stats?.baseline;
  const stated = (window: string, is: (metric: string) => boolean) =>
    judged.some((c) => c.window === window && is(c.metric));
  for (const [window, errorWeight, latencyWeight, freeRatio] of [
    ['fault', W.faultErrorRate, W.faultLatency, FAULT_LATENCY_FREE_RATIO],
    ['recovery', W.recoveryErrorRate, W.recoveryLatency, RECOVERY_LATENCY_FREE_RATIO],
  ] as const) {
    const s = e.stats?.[window];
    if (!s || s.count === 0 || !baseline || baseline.count === 0) continue;
    const excess = s.errorRate - baseline.errorRate;
    if (excess >= ERROR_RATE_NOISE && !stated(window, isErrorMetric))
      add(
        `${window}_error_rate`,
        errorWeight * Math.min(1, excess),
        `${window} error rate ${percent(s.errorRate)} against ${percent(baseline.errorRate)} in the baseline`,
      );
    if (
      s.p95Ms !== null &&
      baseline.p95Ms !== null &&
      baseline.p95Ms > 0 &&
      !stated(window, (m) => LATENCY_METRICS.has(m))
    ) {
      const ratio = s.p95Ms / baseline.p95Ms;
      // log scale: each doubling beyond the free ratio costs half the weight (fault) or all of it (recovery)
      const perDoubling = window === 'fault' ? latencyWeight / 2 : latencyWeight;
      if (ratio > freeRatio)
        add(
          `${window}_latency`,
          Math.min(latencyWeight, perDoubling * Math.log2(ratio / freeRatio)),
          `${window} p95 ${round(s.p95Ms, 1)} ms is ${times(ratio)} the baseline's ${round(baseline.p95Ms, 1)} ms (free up to ${times(freeRatio)})`,
        );
    }
  }

  const recovery = e.stats?.recovery;
  if (
    recovery &&
    recovery.count > 0 &&
    baseline?.p95Ms !== null &&
    baseline?.p95Ms !== undefined &&
    (e.timeToRecoverMs === null || e.timeToRecoverMs === undefined)
  )
    add('not_recovered', W.notRecovered, 'the recovery window never settled back within the baseline latency');

  if (e.windows) {
    const planned = e.windows.planned.baseline.to - e.windows.planned.baseline.from;
    const lost = e.windows.gaps.filter((g) => g.kind === 'arming').reduce((n, g) => n + (g.to - g.from), 0);
    if (planned > 0 && lost > 0)
      add(
        'arming_overran',
        W.armingOverran * Math.min(1, lost / planned),
        `arming took ${round(lost / 1000, 1)} s of the ${round(planned / 1000, 1)} s baseline`,
      );
  }
  return out;
}

/** Caps one experiment's deductions at 100 in their order (a deduction beyond that is trimmed). */
function capped<T extends { points: number }>(list: T[]): T[] {
  let total = 0;
  const out: T[] = [];
  for (const d of list) {
    const points = Math.min(d.points, 100 - total);
    if (points <= 0) break;
    total += points;
    out.push({ ...d, points });
  }
  return out;
}

/**
 * The run's score: the mean of its judged experiments' scores, each 100 minus its deductions
 * (capped at 100). A run that ended without a verdict on the hypothesis (failed, cancelled,
 * aborted by an operator, unfinished) has none, with the reason.
 */
export function scoreRun(run: ScoredRun): ResilienceScore {
  const why = unscoredReason(run);
  if (why) return unscored(why);
  const share = 1 / run.experiments.length;
  const deductions = [...run.experiments]
    .sort((a, b) => a.index - b.index)
    .flatMap((e) =>
      capped(experimentDeductions(e)).map((d) => ({
        code: d.code,
        experimentIndex: e.index,
        reason: d.reason,
        points: round(d.points * share, 2),
      })),
    )
    .filter((d) => d.points > 0);
  const lost = deductions.reduce((n, d) => n + d.points, 0);
  return {
    score: Math.max(0, round(100 - lost, 1)),
    unscoredReason: null,
    deductions,
    version: RESILIENCE_SCORE_VERSION,
  };
}

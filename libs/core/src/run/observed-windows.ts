import type { ExperimentPlan } from './run-plan';

/** A half-open interval [from, to) of epoch milliseconds. */
export interface TimeInterval {
  from: number;
  to: number;
}

/** What actually happened, as recorded by the worker and the helper (epoch ms). */
export interface ActualInstants {
  /** arming (targets, helpers, kernel probe) finished: the engine is quiet again */
  armedAt?: number | null;
  /** the fault was in place on every target (the latest helper apply record) */
  appliedAt?: number | null;
  /** the fault was gone from every target (the latest revert record) */
  revertedAt?: number | null;
}

export type JudgedWindow = 'baseline' | 'fault' | 'recovery';

/**
 * Time between plan and reality that no window judges, shown so it is never silently absorbed. (A
 * late revert is no gap: the fault was still in place, so the fault window runs until it.)
 */
export interface WindowGap extends TimeInterval {
  kind: 'arming' | 'injection_lag' | 'settling';
}

export interface ObservedWindows {
  planned: Record<JudgedWindow, TimeInterval>;
  observed: Record<JudgedWindow, TimeInterval>;
  gaps: WindowGap[];
}

/**
 * The windows the verdict judges, from the plan and the recorded instants: the baseline is the
 * quiet engine before the fault (after arming, before the apply), the fault window is the time the
 * fault was actually in place (helper's apply → revert record), and recovery starts at the actual
 * revert plus an optional settling time (packets netem still held at removal are retransmitted).
 * Without a record the planned instant stands in.
 */
export function observedWindows(
  plan: Pick<ExperimentPlan, 'baselineAt' | 'injectAt' | 'revertAt' | 'endAt'>,
  actual: ActualInstants,
  settleMs = 0,
): ObservedWindows {
  const planned = {
    baseline: { from: plan.baselineAt, to: plan.injectAt },
    fault: { from: plan.injectAt, to: plan.revertAt },
    recovery: { from: plan.revertAt, to: plan.endAt },
  };
  const armedAt = clamp(actual.armedAt ?? plan.baselineAt, plan.baselineAt, plan.injectAt);
  const appliedAt = actual.appliedAt ?? plan.injectAt;
  const revertedAt = Math.max(appliedAt, actual.revertedAt ?? plan.revertAt);
  const recoveryFrom = Math.min(revertedAt + settleMs, plan.endAt);
  const observed = {
    baseline: { from: armedAt, to: Math.max(armedAt, Math.min(plan.injectAt, appliedAt)) },
    fault: { from: appliedAt, to: revertedAt },
    recovery: { from: recoveryFrom, to: Math.max(recoveryFrom, plan.endAt) },
  };
  const gaps: WindowGap[] = [
    { kind: 'arming' as const, from: plan.baselineAt, to: armedAt },
    { kind: 'injection_lag' as const, from: plan.injectAt, to: appliedAt },
    { kind: 'settling' as const, from: revertedAt, to: recoveryFrom },
  ].filter((g) => g.to > g.from);
  return { planned, observed, gaps };
}

/** How much of the planned baseline arming took (it overran its reserve), or null when none. */
export function baselineLostToArming(
  windows: Pick<ObservedWindows, 'planned' | 'gaps'>,
): { lostMs: number; baselineMs: number } | null {
  const lostMs = windows.gaps.filter((g) => g.kind === 'arming').reduce((n, g) => n + (g.to - g.from), 0);
  if (lostMs <= 0) return null;
  return { lostMs, baselineMs: windows.planned.baseline.to - windows.planned.baseline.from };
}

/** The judged window an instant falls in, or null (a gap, or outside the experiment). */
export function judgedWindowAt(windows: ObservedWindows, at: number): JudgedWindow | null {
  for (const w of ['baseline', 'fault', 'recovery'] as const) {
    const i = windows.observed[w];
    if (at >= i.from && at < i.to) return w;
  }
  return null;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

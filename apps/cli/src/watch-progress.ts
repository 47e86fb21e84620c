import { planRun, type RunPlan } from '@gameday/core/run/run-plan';
import type { RunDetailView } from './api-types';

export type PlannedWindow = 'waiting' | 'arming' | 'baseline' | 'fault' | 'recovery' | 'overtime';

export interface WatchProgress {
  /** 0..1 along the planned run, from the scheduled instant to the planned end */
  fraction: number;
  elapsedMs: number;
  totalMs: number;
  /** where the clock is in the plan (the run's own status may lag or lead it) */
  window: PlannedWindow;
  /** 0-based experiment the clock is in (the last one once the plan is over) */
  experiment: number;
  experiments: number;
  /** the next planned instant and how far away it is */
  next: { what: 'start' | 'baseline' | 'injection' | 'rollback' | 'end'; inMs: number } | null;
  /** how long ago the planned end passed (0 before it): results are being judged */
  overtimeMs: number;
}

/**
 * The run's plan: the API's (it knows the arming lead the worker settled; null until then), or for
 * an API without one, laid out from the spec by the worker's own function.
 */
export function planOf(run: Pick<RunDetailView, 'scheduledFor' | 'spec'> & { plan?: RunPlan | null }): RunPlan | null {
  if (run.plan !== undefined) return run.plan && Array.isArray(run.plan.experiments) ? run.plan : null;
  const start = Date.parse(run.scheduledFor);
  const experiments = run.spec?.experiments;
  if (Number.isNaN(start) || !Array.isArray(experiments) || experiments.length === 0) return null;
  if (!experiments.every((e) => e?.durations)) return null;
  try {
    return planRun(start, experiments as { durations: { baseline: string; fault: string; recovery: string } }[]);
  } catch {
    return null;
  }
}

export function progressAt(plan: RunPlan, now: number): WatchProgress {
  const totalMs = Math.max(0, plan.endAt - plan.startAt);
  const elapsedMs = Math.min(totalMs, Math.max(0, now - plan.startAt));
  const base = {
    fraction: totalMs === 0 ? 1 : elapsedMs / totalMs,
    elapsedMs,
    totalMs,
    experiments: plan.experiments.length,
    overtimeMs: Math.max(0, now - plan.endAt),
  };
  if (now < plan.startAt) {
    return { ...base, window: 'waiting', experiment: 0, next: { what: 'start', inMs: plan.startAt - now } };
  }
  for (const e of plan.experiments) {
    // arming sits before the baseline (a plan without armAt, from an older API, has none)
    if (now < e.baselineAt)
      return { ...base, window: 'arming', experiment: e.index, next: { what: 'baseline', inMs: e.baselineAt - now } };
    if (now < e.injectAt)
      return { ...base, window: 'baseline', experiment: e.index, next: { what: 'injection', inMs: e.injectAt - now } };
    if (now < e.revertAt)
      return { ...base, window: 'fault', experiment: e.index, next: { what: 'rollback', inMs: e.revertAt - now } };
    if (now < e.endAt)
      return { ...base, window: 'recovery', experiment: e.index, next: { what: 'end', inMs: e.endAt - now } };
  }
  return { ...base, window: 'overtime', experiment: plan.experiments.length - 1, next: null };
}

/** "1h02m", "2m05s", "12s", "0.4s": short enough for a progress line. */
export function shortDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 10_000) return `${(v / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  const s = Math.round(v / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The words beside the bar: run status, experiment, and the countdown to the next planned step. */
export function describeProgress(p: WatchProgress, status: string): string {
  const experiment = p.experiments > 1 ? ` (experiment ${p.experiment + 1}/${p.experiments})` : '';
  const next = p.next
    ? `${p.next.what} in ${shortDuration(p.next.inMs)}`
    : `planned end passed ${shortDuration(p.overtimeMs)} ago`;
  return `${status}${experiment} · ${next}`;
}

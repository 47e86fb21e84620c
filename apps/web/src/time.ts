// Pure helpers for times shown in the room: durations, countdowns and progress against a plan.
import type { RunPlan } from './api';

/** "45s", "2m 05s", "1h 02m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** "in 12s" before the instant, "12s ago" after it. */
export function countdown(at: number, now: number): string {
  return at >= now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`;
}

export type PlanWindow = 'before' | 'arming' | 'baseline' | 'fault' | 'recovery' | 'after';

export interface PlanProgress {
  /** the window `now` falls in, and the experiment (index) it belongs to */
  window: PlanWindow;
  experiment: number;
  /** 0..1 of the whole run */
  fraction: number;
  /** the next injection / rollback still ahead (epoch ms), null when none */
  nextInjectAt: number | null;
  nextRevertAt: number | null;
}

/** Where `now` is against a run's planned windows. */
export function planProgress(plan: RunPlan, now: number): PlanProgress {
  const total = plan.endAt - plan.startAt;
  const fraction = total > 0 ? Math.min(1, Math.max(0, (now - plan.startAt) / total)) : 1;
  const nextInjectAt = plan.experiments.find((e) => e.injectAt > now)?.injectAt ?? null;
  const nextRevertAt = plan.experiments.find((e) => e.revertAt > now)?.revertAt ?? null;
  const base = { fraction, nextInjectAt, nextRevertAt };
  if (now < plan.startAt) return { ...base, window: 'before', experiment: 0 };
  for (const e of plan.experiments) {
    if (now < e.baselineAt && now >= (e.armAt ?? e.baselineAt))
      return { ...base, window: 'arming', experiment: e.index };
    if (now < e.injectAt && now >= e.baselineAt) return { ...base, window: 'baseline', experiment: e.index };
    if (now < e.revertAt && now >= e.injectAt) return { ...base, window: 'fault', experiment: e.index };
    if (now < e.endAt && now >= e.revertAt) return { ...base, window: 'recovery', experiment: e.index };
  }
  return { ...base, window: 'after', experiment: Math.max(0, plan.experiments.length - 1) };
}

/** Segments of the plan as fractions of the whole run, for a progress bar; arming where it has time. */
export function planSegments(
  plan: RunPlan,
): { window: 'arming' | 'baseline' | 'fault' | 'recovery'; from: number; to: number }[] {
  const total = plan.endAt - plan.startAt || 1;
  const f = (t: number) => (t - plan.startAt) / total;
  return plan.experiments.flatMap((e) => [
    ...(e.armAt !== undefined && e.armAt < e.baselineAt
      ? [{ window: 'arming' as const, from: f(e.armAt), to: f(e.baselineAt) }]
      : []),
    { window: 'baseline' as const, from: f(e.baselineAt), to: f(e.injectAt) },
    { window: 'fault' as const, from: f(e.injectAt), to: f(e.revertAt) },
    { window: 'recovery' as const, from: f(e.revertAt), to: f(e.endAt) },
  ]);
}

/** A date and time in a given IANA timezone (the viewer's when omitted), with the zone's name. */
export function formatInZone(at: string | number | Date, timeZone?: string): string {
  return new Intl.DateTimeFormat(undefined, {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(at));
}

/** Time of day with milliseconds, for timelines. */
export function formatClock(at: string | number | Date): string {
  const d = new Date(at);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

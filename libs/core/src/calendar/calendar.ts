import { CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
import { ARMING_LEAD, faultsToArm } from '../run/arming-lead';
import { parseDurationMs } from '../units/duration';
import type {
  BlackoutSpec,
  GameDaySpec,
  MissedRunPolicy,
  ParticipantSpec,
  ScheduleSpec,
  WeeklyHours,
} from '../spec/gameday.schema';
import { isCronSchedule } from '../spec/gameday.schema';
import { clockMinutes, parseLocalOrInstant, type Weekday } from '../spec/primitives.schema';

/**
 * Calendar rules, pure: occurrences of a schedule, blackout windows, participants' working hours
 * (each in their own timezone) and the missed-run decision. Instants are epoch milliseconds.
 */

export interface Interval {
  start: number;
  end: number;
}

const LUXON_WEEKDAY: Record<number, Weekday> = { 1: 'mon', 2: 'tue', 3: 'wed', 4: 'thu', 5: 'fri', 6: 'sat', 7: 'sun' };
// A window longer than this is not a GameDay; bounds the day-by-day scans below.
const MAX_SCAN_DAYS = 400;

/**
 * Planned length of a run: every experiment's arming + baseline + fault + recovery, back to back.
 * An experiment without durations.arming counts `armingLeadMs`: by default the most a learned lead
 * can be for the faults it arms, because the lead is only known when the run starts (calendar
 * checks stay on the safe side).
 */
export function runDurationMs(
  spec: Pick<GameDaySpec, 'experiments'>,
  armingLeadMs = ARMING_LEAD.capMs * faultsToArm(spec.experiments),
): number {
  return spec.experiments.reduce((total, e) => {
    return (
      total +
      (e.durations.arming === undefined ? armingLeadMs : (parseDurationMs(e.durations.arming) ?? 0)) +
      (parseDurationMs(e.durations.baseline) ?? 0) +
      (parseDurationMs(e.durations.fault) ?? 0) +
      (parseDurationMs(e.durations.recovery) ?? 0)
    );
  }, 0);
}

/**
 * The next `count` occurrences at or after `from` (a one-shot yields its instant when it is not
 * in the past). Cron occurrences honour startsAt/endsAt and the schedule's timezone, DST included.
 */
export function nextOccurrences(schedule: ScheduleSpec, from: number, count = 1): number[] {
  if (!isCronSchedule(schedule)) {
    const at = Date.parse(schedule.at);
    return at >= from ? [at] : [];
  }
  const startsAt = schedule.startsAt ? Date.parse(schedule.startsAt) : undefined;
  const endsAt = schedule.endsAt ? Date.parse(schedule.endsAt) : undefined;
  // cron-parser's next() is strictly after currentDate: step back 1 ms to include `from` itself
  const cursor = Math.max(from, startsAt ?? from) - 1;
  const expr = CronExpressionParser.parse(schedule.cron, { tz: schedule.timezone, currentDate: new Date(cursor) });
  const out: number[] = [];
  while (out.length < count) {
    let next: number;
    try {
      next = expr.next().getTime();
    } catch {
      break;
    }
    if (endsAt !== undefined && next > endsAt) break;
    out.push(next);
  }
  return out;
}

export function nextOccurrence(schedule: ScheduleSpec, from: number): number | null {
  return nextOccurrences(schedule, from, 1)[0] ?? null;
}

/** The daily windows of a weekly pattern that touch [from, to), in the pattern's timezone. */
function weeklyWindows(weekly: WeeklyHours, timezone: string, from: number, to: number): Interval[] {
  const out: Interval[] = [];
  let day = DateTime.fromMillis(from, { zone: timezone }).startOf('day').minus({ days: 1 });
  const last = DateTime.fromMillis(to, { zone: timezone }).startOf('day').plus({ days: 1 });
  for (let i = 0; i <= MAX_SCAN_DAYS && day <= last; i++, day = day.plus({ days: 1 })) {
    if (!weekly.days.includes(LUXON_WEEKDAY[day.weekday])) continue;
    out.push({ start: atClock(day, weekly.start), end: atClock(day, weekly.end) });
  }
  return out;
}

/** "HH:mm" on a calendar day in the day's zone; a time skipped by DST moves forward (luxon). */
function atClock(day: DateTime, clock: string): number {
  const minutes = clockMinutes(clock);
  if (minutes === 24 * 60) return day.plus({ days: 1 }).startOf('day').toMillis();
  return day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 }).toMillis();
}

const overlaps = (a: Interval, b: Interval) => a.start < b.end && b.start < a.end;

/** The windows of one blackout that overlap the interval. */
export function blackoutWindows(blackout: BlackoutSpec, interval: Interval): Interval[] {
  const bounds: Interval = {
    start: blackout.start ? parseLocalOrInstant(blackout.start, blackout.timezone) : Number.NEGATIVE_INFINITY,
    end: blackout.end ? parseLocalOrInstant(blackout.end, blackout.timezone) : Number.POSITIVE_INFINITY,
  };
  if (!overlaps(bounds, interval)) return [];
  if (!blackout.weekly) return [bounds];
  return weeklyWindows(blackout.weekly, blackout.timezone, interval.start, interval.end)
    .map((w) => ({ start: Math.max(w.start, bounds.start), end: Math.min(w.end, bounds.end) }))
    .filter((w) => w.start < w.end && overlaps(w, interval));
}

export interface BlackoutHit {
  index: number;
  blackout: BlackoutSpec;
  window: Interval;
  reason: string;
}

/** The first blackout that overlaps the run interval, or null. */
export function findBlackout(blackouts: readonly BlackoutSpec[] | undefined, interval: Interval): BlackoutHit | null {
  for (const [index, blackout] of (blackouts ?? []).entries()) {
    const window = blackoutWindows(blackout, interval)[0];
    if (window) {
      const label = blackout.name ? `blackout "${blackout.name}"` : `blackouts[${index}]`;
      return {
        index,
        blackout,
        window,
        reason: `${label} covers ${iso(window.start)} – ${iso(window.end)} (${blackout.timezone})`,
      };
    }
  }
  return null;
}

export interface UnavailableParticipant {
  index: number;
  participant: ParticipantSpec;
  reason: string;
}

/** Participants for whom the run interval is not inside one of their working-hours windows. */
export function unavailableParticipants(
  participants: readonly ParticipantSpec[] | undefined,
  interval: Interval,
): UnavailableParticipant[] {
  const out: UnavailableParticipant[] = [];
  for (const [index, participant] of (participants ?? []).entries()) {
    const hours = participant.workingHours;
    if (!hours) continue;
    const inside = weeklyWindows(hours, participant.timezone, interval.start, interval.start).some(
      (w) => w.start <= interval.start && interval.end <= w.end,
    );
    if (!inside) {
      const local = DateTime.fromMillis(interval.start, { zone: participant.timezone });
      const localEnd = DateTime.fromMillis(interval.end, { zone: participant.timezone });
      out.push({
        index,
        participant,
        reason: `${participant.name} works ${hours.days.join(',')} ${hours.start}-${hours.end} ${participant.timezone}; the run is ${local.toFormat('ccc HH:mm')}–${localEnd.toFormat('ccc HH:mm')} there`,
      });
    }
  }
  return out;
}

export interface OccurrenceProblem {
  /** spec field the problem is about */
  field: string;
  message: string;
}

/** Why a run starting at `at` may not happen (empty when it may). */
export function occurrenceProblems(
  spec: Pick<GameDaySpec, 'experiments' | 'blackouts' | 'participants'>,
  at: number,
): OccurrenceProblem[] {
  const interval = { start: at, end: at + runDurationMs(spec) };
  const problems: OccurrenceProblem[] = [];
  const blackout = findBlackout(spec.blackouts, interval);
  if (blackout)
    problems.push({
      field: `blackouts[${blackout.index}]`,
      message: `the run ${iso(interval.start)} – ${iso(interval.end)} falls in ${blackout.reason}`,
    });
  for (const p of unavailableParticipants(spec.participants, interval)) {
    problems.push({ field: `participants[${p.index}].workingHours`, message: `outside working hours: ${p.reason}` });
  }
  return problems;
}

export type MissedRunDecision =
  | { action: 'run'; lateMs: number }
  | { action: 'run_late'; lateMs: number; reason: string }
  | { action: 'skip'; lateMs: number; reason: string };

/**
 * A firing processed `now` for the occurrence `scheduledFor`. Up to `onTimeToleranceMs` late is
 * ordinary queue latency; beyond that the policy decides (run late within its deadline, or skip).
 */
export function missedRunDecision(
  policy: MissedRunPolicy,
  scheduledFor: number,
  now: number,
  onTimeToleranceMs = 5_000,
): MissedRunDecision {
  const lateMs = Math.max(0, now - scheduledFor);
  if (lateMs <= onTimeToleranceMs) return { action: 'run', lateMs };
  const deadlineMs = parseDurationMs(policy.deadline) ?? 0;
  if (policy.mode === 'skip')
    return { action: 'skip', lateMs, reason: `fired ${formatMs(lateMs)} late and the missed-run policy is skip` };
  if (lateMs > deadlineMs)
    return {
      action: 'skip',
      lateMs,
      reason: `fired ${formatMs(lateMs)} late, beyond the missed-run deadline of ${policy.deadline}`,
    };
  return {
    action: 'run_late',
    lateMs,
    reason: `fired ${formatMs(lateMs)} late, within the missed-run deadline of ${policy.deadline}`,
  };
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : ms > 0 ? '∞' : '-∞';
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms)}ms`;
}

import { isCronSchedule, nextOccurrences, occurrenceProblems, type GameDaySpec } from '@gameday/core';
import { PROBLEM_TYPES, ProblemException, validationProblem } from '../common/problem';

// The schedule of a GameDay being created or edited: in the future, and with occurrences the
// calendar (blackouts, participants' working hours) allows.

/** How many upcoming occurrences of a recurring GameDay are checked against working hours. */
const CRON_LOOKAHEAD = 20;

/**
 * Rejects schedules in the past and occurrences the calendar forbids; returns the next
 * occurrence (epoch ms) or null.
 */
export function checkSchedule(spec: GameDaySpec, now: number): number | null {
  const schedule = spec.schedule;
  if (!isCronSchedule(schedule)) {
    const at = Date.parse(schedule.at);
    if (at <= now)
      throw validationProblem([
        { field: 'schedule.at', message: `must be in the future (it is ${new Date(now).toISOString()} now)` },
      ]);
    assertCalendar(occurrenceProblems(spec, at));
    return at;
  }
  if (schedule.endsAt && Date.parse(schedule.endsAt) <= now)
    throw validationProblem([{ field: 'schedule.endsAt', message: 'must be in the future' }]);
  // only participants' working hours are checked past the first occurrence (blackouts are
  // judged at firing): without participants the lookahead has nothing to find, and each
  // occurrence of a monthly cron costs cron-parser a day-by-day walk
  const lookahead = spec.participants?.length ? CRON_LOOKAHEAD : 1;
  const upcoming = nextOccurrences(schedule, now, lookahead);
  if (upcoming.length === 0)
    throw validationProblem([{ field: 'schedule.cron', message: 'has no occurrence between now and schedule.endsAt' }]);
  // a recurring occurrence inside a blackout is skipped (and recorded) when it comes; people
  // who are never there for it are a mistake to catch now
  const problems = upcoming.flatMap((at) =>
    occurrenceProblems({ ...spec, blackouts: undefined }, at).map((p) => ({
      ...p,
      message: `occurrence ${new Date(at).toISOString()}: ${p.message}`,
    })),
  );
  assertCalendar(problems);
  return upcoming[0];
}

function assertCalendar(problems: { field: string; message: string }[]): void {
  if (problems.length === 0) return;
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.field === p.field) === i);
  throw new ProblemException({
    type: PROBLEM_TYPES.calendar,
    title: 'Unprocessable Content',
    status: 422,
    detail: unique.map((p) => p.message).join('; '),
    errors: unique,
  });
}

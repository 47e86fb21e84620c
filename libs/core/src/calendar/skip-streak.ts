/**
 * Consecutive occurrences skipped for one cause (one blackout window, one engagement of the
 * safety lever, one live run still going, workers that were down) are one row of history with a
 * count, not a row each: a 6-field cron firing every second through an 8-hour blackout leaves one
 * skipped run saying "28 800 occurrences", and the database grows with causes, not with the
 * schedule's rate.
 */
export interface SkipStreak {
  /** the cause: equal keys are the same blackout window, lever engagement or live run */
  key: string;
  gameDayVersion: number;
  /** the first occurrence (the row's scheduledFor) and the last one folded in, epoch ms */
  first: number;
  last: number;
  occurrences: number;
}

/** What a skipped row's first event stores of its streak (in its data, under `streak`). */
export interface SkipStreakRecord {
  key: string;
  occurrences: number;
  lastScheduledFor: string;
}

/**
 * How to record a skipped occurrence at `at`, given the streak of the GameDay's latest run (null
 * when that run is not a skipped one): fold it into the streak (same cause, same spec version,
 * later), drop it as already on record (it lies inside the streak: a duplicate firing), or give
 * it a row of its own.
 */
export function foldSkip(
  previous: SkipStreak | null,
  next: { key: string; gameDayVersion: number; at: number },
): 'fold' | 'duplicate' | 'new' {
  if (!previous) return 'new';
  if (next.at >= previous.first && next.at <= previous.last) return 'duplicate';
  if (next.at > previous.last && next.key === previous.key && next.gameDayVersion === previous.gameDayVersion)
    return 'fold';
  return 'new';
}

/** The streak a skipped run records, or null (another status, or a row from before streaks). */
export function readSkipStreak(
  run: { status: string; gameDayVersion: number; scheduledFor: Date },
  firstEventData: unknown,
): SkipStreak | null {
  if (run.status !== 'skipped') return null;
  const s = (firstEventData as { streak?: Partial<SkipStreakRecord> } | null)?.streak;
  if (typeof s?.key !== 'string') return null;
  const first = run.scheduledFor.getTime();
  const last = Date.parse(s.lastScheduledFor ?? '');
  return {
    key: s.key,
    gameDayVersion: run.gameDayVersion,
    first,
    last: Number.isFinite(last) ? last : first,
    occurrences: typeof s.occurrences === 'number' ? s.occurrences : 1,
  };
}

export function skipStreakRecord(streak: Pick<SkipStreak, 'key' | 'last' | 'occurrences'>): SkipStreakRecord {
  return { key: streak.key, occurrences: streak.occurrences, lastScheduledFor: new Date(streak.last).toISOString() };
}

/** The skipped run's error line: the reason, and how many occurrences it covers once more than one. */
export function skipStreakSummary(reason: string, streak: Pick<SkipStreak, 'last' | 'occurrences'>): string {
  if (streak.occurrences <= 1) return reason;
  return `${reason} (${streak.occurrences} consecutive occurrences skipped, the last at ${new Date(streak.last).toISOString()})`;
}

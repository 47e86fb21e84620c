import {
  type GameDaySpec,
  findBlackout,
  isCronSchedule,
  missedRunDecision,
  nextOccurrence,
  runDurationMs,
} from '@gameday/core';
import type { GameDay, SafetyLeverState } from '@gameday/db';

/** Why an occurrence is on record as skipped, and the cause it shares with the skips next to it. */
export interface SkipCause {
  reason: string;
  kind: 'missed' | 'safety_lever' | 'blackout';
  /** one row per cause, with a count (the repository folds a skip into the streak before it) */
  streak: string;
}

export type OccurrenceJudgement =
  | { action: 'ignore'; reason: string }
  | {
      action: 'record';
      spec: GameDaySpec;
      trigger: 'schedule' | 'catch_up';
      lateMs: number;
      /** the fired event's message */
      message: string;
      /** null: the occurrence runs */
      skip: SkipCause | null;
    };

/**
 * What one occurrence of a GameDay comes to, from the GameDay as read, the clock and the safety
 * lever: nothing (gone, no longer active, no longer in its schedule), a run, or a skip with its
 * cause (missed-run policy, safety lever, blackout). Pure: the firing path and the batched one
 * judge alike.
 */
export function judgeOccurrence(
  gameDay: GameDay | null,
  scheduledFor: Date,
  now: number,
  lever: SafetyLeverState,
): OccurrenceJudgement {
  if (!gameDay) return { action: 'ignore', reason: 'GameDay no longer exists' };
  if (gameDay.status !== 'active') return { action: 'ignore', reason: `GameDay is ${gameDay.status}` };
  const spec = gameDay.spec as unknown as GameDaySpec;
  const at = scheduledFor.getTime();
  // a job planned before a reschedule that BullMQ could not withdraw (it was already running)
  const current = isCronSchedule(spec.schedule)
    ? nextOccurrence(spec.schedule, at) === at
    : gameDay.runAt?.getTime() === at;
  if (!current)
    return {
      action: 'ignore',
      reason: `occurrence ${scheduledFor.toISOString()} is not in the current schedule (version ${gameDay.version})`,
    };

  const decision = missedRunDecision(spec.schedule.missedRunPolicy, at, now);
  const trigger = decision.action === 'run_late' ? 'catch_up' : 'schedule';
  const message = decision.action === 'run_late' ? decision.reason : `fired ${decision.lateMs} ms after its instant`;
  const judged = { action: 'record', spec, trigger, lateMs: decision.lateMs, message } as const;
  if (decision.action === 'skip')
    return { ...judged, skip: { reason: decision.reason, kind: 'missed', streak: 'missed' } };
  if (lever.engaged) {
    const reason = `safety lever engaged: ${lever.reason ?? 'no reason given'}`;
    const streak = `safety_lever:${lever.engagedAt?.toISOString() ?? reason}`;
    return { ...judged, skip: { reason, kind: 'safety_lever', streak } };
  }
  const start = Math.max(now, at);
  const blackout = findBlackout(spec.blackouts, { start, end: start + runDurationMs(spec) });
  if (blackout)
    return {
      ...judged,
      skip: {
        reason: `occurrence falls in ${blackout.reason}`,
        kind: 'blackout',
        streak: `blackout:${blackout.reason}`,
      },
    };
  return { ...judged, skip: null };
}

/** A one-shot is finished once fired; a recurring GameDay shows its next occurrence. */
export function afterFiring(spec: GameDaySpec, at: number): { nextRunAt: Date | null; finished: boolean } {
  if (!isCronSchedule(spec.schedule)) return { nextRunAt: null, finished: true };
  const next = nextOccurrence(spec.schedule, at + 1);
  return { nextRunAt: next === null ? null : new Date(next), finished: next === null };
}

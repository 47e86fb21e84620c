import { CLOCK } from '@gameday/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type Clock,
  type GameDaySpec,
  findBlackout,
  isCronSchedule,
  missedRunDecision,
  nextOccurrence,
  runDurationMs,
} from '@gameday/core';
import {
  GameDayRepository,
  type GameDayStore,
  type Prisma,
  RunRepository,
  type RunStore,
  SafetyLeverRepository,
} from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import type { FireJob } from '@gameday/queue';
import { RUN_LAUNCHER, type RunLauncher } from '../launch/run-launcher';

export type FireOutcome =
  | { outcome: 'launched'; runId: string; trigger: 'schedule' | 'catch_up' }
  | { outcome: 'skipped'; runId: string; reason: string }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string };

/**
 * One occurrence of a GameDay fires: create exactly one Run (Postgres' unique key settles races
 * between workers), snapshot the spec with its version (under the GameDay's row lock, so an edit
 * lands wholly before or after the firing), apply the calendar (blackouts, missed-run policy,
 * safety lever) and hand the run to the launcher.
 */
@Injectable()
export class FireService {
  private readonly logger = new Logger(FireService.name);

  constructor(
    @Inject(GameDayRepository) private readonly gameDays: Pick<GameDayStore, 'findById' | 'recordFiring'>,
    @Inject(RunRepository) private readonly runs: Pick<RunStore, 'createForFiring' | 'findById'>,
    @Inject(RUN_LAUNCHER) private readonly launcher: RunLauncher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    @Inject(SafetyLeverRepository) private readonly lever: Pick<SafetyLeverRepository, 'get'>,
  ) {}

  async fire(job: FireJob, scheduledFor: Date, attempt = 0): Promise<FireOutcome> {
    const gameDay = await this.gameDays.findById(job.gameDayId);
    if (!gameDay) return { outcome: 'ignored', reason: 'GameDay no longer exists' };
    if (gameDay.status !== 'active') return { outcome: 'ignored', reason: `GameDay is ${gameDay.status}` };
    const spec = gameDay.spec as unknown as GameDaySpec;
    const at = scheduledFor.getTime();

    // a job planned before a reschedule that BullMQ could not withdraw (it was already running)
    const current = isCronSchedule(spec.schedule)
      ? nextOccurrence(spec.schedule, at) === at
      : gameDay.runAt?.getTime() === at;
    if (!current)
      return {
        outcome: 'ignored',
        reason: `occurrence ${scheduledFor.toISOString()} is not in the current schedule (version ${gameDay.version})`,
      };

    const now = this.clock.now().getTime();
    const decision = missedRunDecision(spec.schedule.missedRunPolicy, at, now);
    const start = Math.max(now, at);
    const lever = decision.action === 'skip' ? null : await this.lever.get();
    const leverReason = lever?.engaged ? `safety lever engaged: ${lever.reason ?? 'no reason given'}` : null;
    const blackout =
      decision.action === 'skip' || leverReason
        ? null
        : findBlackout(spec.blackouts, { start, end: start + runDurationMs(spec) });
    const skipReason =
      decision.action === 'skip'
        ? decision.reason
        : (leverReason ?? (blackout ? `occurrence falls in ${blackout.reason}` : null));
    const skipKind = leverReason ? 'safety_lever' : blackout ? 'blackout' : 'missed';
    // the cause a skip shares with the occurrences next to it: one row per cause, with a count
    const streak = leverReason
      ? `safety_lever:${lever?.engagedAt?.toISOString() ?? leverReason}`
      : blackout
        ? `blackout:${blackout.reason}`
        : 'missed';
    const trigger = decision.action === 'run_late' ? 'catch_up' : 'schedule';

    const base = {
      gameDayId: gameDay.id,
      scheduledFor,
      trigger,
      spec: gameDay.spec as Prisma.InputJsonValue,
      gameDayVersion: gameDay.version,
    } as const;
    const run = skipReason
      ? await this.runs.createForFiring(
          { ...base, status: 'skipped', error: skipReason, finishedAt: new Date(now) },
          {
            type: 'occurrence.skipped',
            phase: 'skipped',
            plannedAt: scheduledFor,
            message: skipReason,
            data: { reason: skipKind, lateMs: decision.lateMs },
          },
          streak,
        )
      : await this.runs.createForFiring(
          { ...base, status: 'scheduled' },
          {
            type: 'occurrence.fired',
            phase: 'scheduled',
            plannedAt: scheduledFor,
            message: decision.action === 'run_late' ? decision.reason : `fired ${decision.lateMs} ms after its instant`,
            data: { lateMs: decision.lateMs, trigger },
          },
        );
    if (run === 'superseded') {
      // edited or cancelled between our read and the row lock: judge the occurrence again
      if (attempt < 3) return this.fire(job, scheduledFor, attempt + 1);
      return { outcome: 'ignored', reason: 'the GameDay kept changing while this occurrence fired' };
    }
    if (!run) return { outcome: 'duplicate' };
    if ('folded' in run) return this.folded(gameDay.id, spec, at, run.folded.id, skipKind, skipReason);
    if ('liveRunId' in run) {
      // one live run per GameDay (concurrency policy forbid): the occurrence is on record as skipped
      const reason = `the previous run ${run.liveRunId} is still ${run.liveStatus} (one live run per GameDay)`;
      const skipped = await this.runs.createForFiring(
        { ...base, status: 'skipped', error: reason, finishedAt: new Date(now) },
        {
          type: 'occurrence.skipped',
          phase: 'skipped',
          plannedAt: scheduledFor,
          message: reason,
          data: { reason: 'concurrency', liveRunId: run.liveRunId },
        },
        `concurrency:${run.liveRunId}`,
      );
      if (!skipped || typeof skipped !== 'object' || 'liveRunId' in skipped) return { outcome: 'duplicate' };
      if ('folded' in skipped) return this.folded(gameDay.id, spec, at, skipped.folded.id, 'concurrency', reason);
      this.metrics.occurrencesSkipped.inc({ reason: 'concurrency' });
      await this.bookkeeping(gameDay.id, spec, at);
      return { outcome: 'skipped', runId: skipped.id, reason };
    }

    this.metrics.scheduleLateness.observe(Math.max(0, run.createdAt.getTime() - at) / 1000);
    await this.bookkeeping(gameDay.id, spec, at);
    if (skipReason) {
      this.metrics.occurrencesSkipped.inc({ reason: skipKind });
      this.logger.log(`GameDay ${gameDay.id} occurrence ${scheduledFor.toISOString()} skipped: ${skipReason}`);
      return { outcome: 'skipped', runId: run.id, reason: skipReason };
    }
    this.metrics.runsCreated.inc({ trigger });
    await this.launcher.launch(run);
    return { outcome: 'launched', runId: run.id, trigger };
  }

  /** An occurrence skipped for the same cause as the one before: counted on that run's row. */
  private async folded(
    id: string,
    spec: GameDaySpec,
    at: number,
    runId: string,
    kind: string,
    reason: string | null,
  ): Promise<FireOutcome> {
    this.metrics.occurrencesSkipped.inc({ reason: kind });
    await this.bookkeeping(id, spec, at);
    return { outcome: 'skipped', runId, reason: reason ?? kind };
  }

  /** A one-shot is finished once fired; a recurring GameDay shows its next occurrence. */
  private async bookkeeping(id: string, spec: GameDaySpec, at: number): Promise<void> {
    if (!isCronSchedule(spec.schedule)) {
      await this.gameDays.recordFiring(id, null, true);
      return;
    }
    const next = nextOccurrence(spec.schedule, at + 1);
    await this.gameDays.recordFiring(id, next === null ? null : new Date(next), next === null);
  }

  /** Launches a run created by the API (run now). */
  async launchExisting(runId: string): Promise<'launched' | 'ignored'> {
    const run = await this.runs.findById(runId);
    if (!run || run.status !== 'scheduled') return 'ignored';
    this.metrics.runsCreated.inc({ trigger: run.trigger });
    await this.launcher.launch(run);
    return 'launched';
  }
}

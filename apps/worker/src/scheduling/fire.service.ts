import { CLOCK } from '@gameday/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Clock, type GameDaySpec } from '@gameday/core';
import {
  GameDayRepository,
  type GameDayStore,
  type Prisma,
  RunRepository,
  type RunEventInput,
  type RunStore,
  SafetyLeverRepository,
} from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import type { FireJob } from '@gameday/queue';
import { RUN_LAUNCHER, type RunLauncher } from '../launch/run-launcher';
import { afterFiring, judgeOccurrence } from './occurrence-judgement';

/** An occurrence taken from the queue: the fire job and the instant it stands for. */
export interface Firing {
  job: FireJob;
  scheduledFor: Date;
}

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
    @Inject(GameDayRepository)
    private readonly gameDays: Pick<GameDayStore, 'findById' | 'findManyById' | 'recordFiring'>,
    @Inject(RunRepository) private readonly runs: Pick<RunStore, 'createForFiring' | 'createFired' | 'findById'>,
    @Inject(RUN_LAUNCHER) private readonly launcher: RunLauncher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    @Inject(SafetyLeverRepository) private readonly lever: Pick<SafetyLeverRepository, 'get'>,
  ) {}

  /**
   * Occurrences taken from the queue together (a burst due at one instant): the GameDays read in
   * one query, the lever once, and every one that runs created with its first event and its
   * GameDay's bookkeeping in one transaction (RunStore.createFired). Any other (a skip, a second
   * occurrence of one GameDay in the batch, one the transaction did not create: edited, live run,
   * already fired) goes the way of a lone firing, which tells which.
   */
  async fireMany(items: readonly Firing[]): Promise<(FireOutcome | Error)[]> {
    const gameDays = await this.gameDays.findManyById([...new Set(items.map((i) => i.job.gameDayId))]);
    const lever = await this.lever.get();
    const now = this.clock.now().getTime();
    const judged = items.map((i) => judgeOccurrence(gameDays.get(i.job.gameDayId) ?? null, i.scheduledFor, now, lever));
    const perGameDay = new Map<string, number>();
    for (const i of items) perGameDay.set(i.job.gameDayId, (perGameDay.get(i.job.gameDayId) ?? 0) + 1);
    const batched = items.flatMap((item, n) => {
      const j = judged[n];
      if (j.action !== 'record' || j.skip || perGameDay.get(item.job.gameDayId) !== 1) return [];
      const gameDay = gameDays.get(item.job.gameDayId)!;
      const run = {
        gameDayId: gameDay.id,
        scheduledFor: item.scheduledFor,
        trigger: j.trigger,
        gameDayVersion: gameDay.version,
      };
      return [{ n, run, event: firedEvent(item.scheduledFor, j), ...afterFiring(j.spec, item.scheduledFor.getTime()) }];
    });
    const created = batched.length
      ? await this.runs.createFired(batched).catch((e: Error) => {
          // each fires alone, and fails alone (its job is tried again) if the database is why
          this.logger.warn(`a batch of ${batched.length} firings failed (${e.message}): firing each alone`);
          return batched.map(() => null);
        })
      : [];
    const runOf = new Map(batched.map((b, k) => [b.n, created[k]]));
    // what the batch did not create fires alone: one transaction each, a few at a time (a burst
    // skipped whole, the lever engaged, must not ask the pool for a connection per occurrence)
    const alone = items.flatMap((_, n) => (judged[n].action === 'record' && !runOf.get(n) ? [n] : []));
    const outcomes = await Promise.allSettled(
      items.map(async (item, n): Promise<FireOutcome | null> => {
        const j = judged[n];
        if (j.action === 'ignore') return { outcome: 'ignored', reason: j.reason };
        const run = runOf.get(n);
        if (!run) return null; // fired alone below
        this.metrics.scheduleLateness.observe(
          Math.max(0, run.createdAt.getTime() - item.scheduledFor.getTime()) / 1000,
        );
        this.metrics.runsCreated.inc({ trigger: j.trigger });
        await this.launcher.launch(run);
        return { outcome: 'launched', runId: run.id, trigger: j.trigger };
      }),
    );
    for (let k = 0; k < alone.length; k += ALONE_AT_ONCE) {
      const slice = alone.slice(k, k + ALONE_AT_ONCE);
      const fired = await Promise.allSettled(slice.map((n) => this.fire(items[n].job, items[n].scheduledFor)));
      slice.forEach((n, i) => (outcomes[n] = fired[i]));
    }
    return outcomes.map((o) => (o.status === 'rejected' ? toError(o.reason) : (o.value ?? new Error('not fired'))));
  }

  async fire(job: FireJob, scheduledFor: Date, attempt = 0): Promise<FireOutcome> {
    const gameDay = await this.gameDays.findById(job.gameDayId);
    const now = this.clock.now().getTime();
    const judged = judgeOccurrence(gameDay, scheduledFor, now, await this.lever.get());
    if (judged.action === 'ignore') return { outcome: 'ignored', reason: judged.reason };
    const { spec, trigger, skip } = judged;
    const at = scheduledFor.getTime();

    const base = {
      gameDayId: gameDay!.id,
      scheduledFor,
      trigger,
      spec: gameDay!.spec as Prisma.InputJsonValue,
      gameDayVersion: gameDay!.version,
    } as const;
    const run = skip
      ? await this.runs.createForFiring(
          { ...base, status: 'skipped', error: skip.reason, finishedAt: new Date(now) },
          {
            type: 'occurrence.skipped',
            phase: 'skipped',
            plannedAt: scheduledFor,
            message: skip.reason,
            data: { reason: skip.kind, lateMs: judged.lateMs },
          },
          skip.streak,
        )
      : await this.runs.createForFiring({ ...base, status: 'scheduled' }, firedEvent(scheduledFor, judged));
    if (run === 'superseded') {
      // edited or cancelled between our read and the row lock: judge the occurrence again
      if (attempt < 3) return this.fire(job, scheduledFor, attempt + 1);
      return { outcome: 'ignored', reason: 'the GameDay kept changing while this occurrence fired' };
    }
    if (!run) return { outcome: 'duplicate' };
    if ('folded' in run)
      return this.folded(gameDay!.id, spec, at, run.folded.id, skip?.kind ?? 'missed', skip?.reason ?? null);
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
      if ('folded' in skipped) return this.folded(gameDay!.id, spec, at, skipped.folded.id, 'concurrency', reason);
      this.metrics.occurrencesSkipped.inc({ reason: 'concurrency' });
      await this.bookkeeping(gameDay!.id, spec, at);
      return { outcome: 'skipped', runId: skipped.id, reason };
    }

    this.metrics.scheduleLateness.observe(Math.max(0, run.createdAt.getTime() - at) / 1000);
    await this.bookkeeping(gameDay!.id, spec, at);
    if (skip) {
      this.metrics.occurrencesSkipped.inc({ reason: skip.kind });
      this.logger.log(`GameDay ${gameDay!.id} occurrence ${scheduledFor.toISOString()} skipped: ${skip.reason}`);
      return { outcome: 'skipped', runId: run.id, reason: skip.reason };
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
    const { nextRunAt, finished } = afterFiring(spec, at);
    await this.gameDays.recordFiring(id, nextRunAt, finished);
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

/** The first event of a run an occurrence fired. */
function firedEvent(scheduledFor: Date, j: { message: string; lateMs: number; trigger: string }): RunEventInput {
  return {
    type: 'occurrence.fired',
    phase: 'scheduled',
    plannedAt: scheduledFor,
    message: j.message,
    data: { lateMs: j.lateMs, trigger: j.trigger },
  };
}

/** how many of the firings a batch leaves to be fired alone run at once */
const ALONE_AT_ONCE = 8;

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

import type { JobType, Queue } from 'bullmq';
import { JOBS, JOB_OPTIONS, jobIds, type FireJob } from './queues';

/** What the sync needs to know about a GameDay (a subset of the Prisma row). */
export interface SchedulableGameDay {
  id: string;
  version: number;
  status: 'active' | 'cancelled' | 'finished';
  scheduleKind: 'at' | 'cron';
  runAt: Date | null;
  cron: string | null;
  cronTimezone: string | null;
  startsAt: Date | null;
  endsAt: Date | null;
}

/** An occurrence whose fire job spent its attempts (the database out of reach longer than the backoff). */
export interface FailedFiring {
  gameDayId: string;
  /** back to the queue with its attempts renewed; the firing judges it again (missed-run policy) */
  retry(): Promise<void>;
}

/** every state a job can be found in by its id (getJob's view) */
const JOB_STATES: JobType[] = ['active', 'wait', 'prioritized', 'waiting-children', 'delayed', 'completed', 'failed'];

/** Completed fire jobs are kept briefly for inspection; failed ones longer for diagnosis. */
export const FIRE_JOB_OPTIONS = JOB_OPTIONS.fire;

/**
 * The one place that makes BullMQ agree with a GameDay row: called by the API after create,
 * patch and delete, and by the worker when it reconciles on start-up. Idempotent.
 *
 * - one-shot: a delayed job with a deterministic id (removed and re-added on reschedule);
 * - cron: one job scheduler per GameDay (upsert replaces pattern, timezone and bounds at once);
 * - cancelled/finished: both removed, so no future occurrence fires.
 */
export class ScheduleSync {
  constructor(
    private readonly scheduleQueue: Queue,
    private readonly now: () => number = Date.now,
  ) {}

  async sync(gameDay: SchedulableGameDay): Promise<void> {
    if (gameDay.status !== 'active') {
      await this.remove(gameDay.id);
      return;
    }
    if (gameDay.scheduleKind === 'at') {
      await this.scheduleQueue.removeJobScheduler(jobIds.scheduler(gameDay.id));
      await this.replaceOneShot(gameDay);
    } else {
      await this.removeOneShot(gameDay.id);
      await this.upsertScheduler(gameDay);
    }
  }

  /**
   * Adds what is missing and leaves what exists alone: used at worker start-up, where
   * re-upserting would replace an overdue occurrence (which the missed-run policy must judge)
   * with the next one.
   */
  async ensure(gameDay: SchedulableGameDay): Promise<'exists' | 'added'> {
    if (gameDay.status !== 'active') return 'exists';
    if (gameDay.scheduleKind === 'at') {
      if (await this.scheduleQueue.getJob(jobIds.oneShot(gameDay.id))) return 'exists';
      await this.replaceOneShot(gameDay);
      return 'added';
    }
    if (await this.scheduleQueue.getJobScheduler(jobIds.scheduler(gameDay.id))) return 'exists';
    await this.upsertScheduler(gameDay);
    return 'added';
  }

  /**
   * The failed fire jobs, oldest first, up to `limit`, read by id only (a job is loaded when it is
   * retried). A failed job keeps its id in Redis, so ensure() sees it as present: without a retry
   * its occurrence would never fire.
   */
  async failedFirings(limit: number): Promise<FailedFiring[]> {
    const ids = await this.scheduleQueue.getRanges(['failed'], 0, limit - 1, true);
    return ids.flatMap((id) => {
      const gameDayId = jobIds.gameDayOfFire(id);
      if (!gameDayId) return [];
      const retry = async () => {
        const job = await this.scheduleQueue.getJob(id);
        await job?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      };
      return [{ gameDayId, retry }];
    });
  }

  /**
   * Which GameDays the queue holds a one-shot job (in any state, as ensure() counts it) or a job
   * scheduler for, read at once by id: the reconciler asks ensure() only of those it lacks,
   * instead of one read per active GameDay per tick and worker.
   */
  async holdings(): Promise<(gameDay: Pick<SchedulableGameDay, 'id' | 'scheduleKind'>) => boolean> {
    const [held, schedulers] = await Promise.all([
      this.scheduleQueue.getRanges(JOB_STATES, 0, -1),
      this.scheduleQueue.getJobSchedulers(0, -1),
    ]);
    const jobs = new Set(held);
    const crons = new Set(schedulers.map((s) => s.key));
    return (g) => (g.scheduleKind === 'at' ? jobs.has(jobIds.oneShot(g.id)) : crons.has(jobIds.scheduler(g.id)));
  }

  async remove(gameDayId: string): Promise<void> {
    await this.scheduleQueue.removeJobScheduler(jobIds.scheduler(gameDayId));
    await this.removeOneShot(gameDayId);
  }

  private async replaceOneShot(gameDay: SchedulableGameDay): Promise<void> {
    if (!gameDay.runAt) throw new Error(`GameDay ${gameDay.id} has scheduleKind "at" but no runAt`);
    // add() with an existing id is a no-op, so a reschedule must remove the old job first
    await this.removeOneShot(gameDay.id);
    const data: FireJob = {
      gameDayId: gameDay.id,
      version: gameDay.version,
      scheduledFor: gameDay.runAt.toISOString(),
    };
    await this.scheduleQueue.add(JOBS.fire, data, {
      jobId: jobIds.oneShot(gameDay.id),
      delay: Math.max(0, gameDay.runAt.getTime() - this.now()),
      ...FIRE_JOB_OPTIONS,
    });
  }

  private async removeOneShot(gameDayId: string): Promise<void> {
    // remove() of an active (locked) job fails: that occurrence is already firing and the
    // worker re-checks the GameDay before creating a run.
    await this.scheduleQueue.remove(jobIds.oneShot(gameDayId)).catch(() => 0);
  }

  private async upsertScheduler(gameDay: SchedulableGameDay): Promise<void> {
    if (!gameDay.cron || !gameDay.cronTimezone)
      throw new Error(`GameDay ${gameDay.id} has scheduleKind "cron" but no cron/timezone`);
    const data: FireJob = { gameDayId: gameDay.id, version: gameDay.version };
    await this.scheduleQueue.upsertJobScheduler(
      jobIds.scheduler(gameDay.id),
      {
        pattern: gameDay.cron,
        tz: gameDay.cronTimezone,
        ...(gameDay.startsAt ? { startDate: gameDay.startsAt } : {}),
        ...(gameDay.endsAt ? { endDate: gameDay.endsAt } : {}),
      },
      { name: JOBS.fire, data, opts: { ...FIRE_JOB_OPTIONS } },
    );
  }
}

/**
 * The occurrence instant a fire job stands for: one-shots carry it; jobs produced by a job
 * scheduler carry it in opts.prevMillis (and in their id, repeat:<scheduler>:<millis>).
 */
export function occurrenceOf(job: {
  id?: string;
  data: FireJob;
  opts: { prevMillis?: number };
  timestamp: number;
  delay?: number;
}): Date {
  if (job.data.scheduledFor) return new Date(job.data.scheduledFor);
  if (typeof job.opts.prevMillis === 'number' && job.opts.prevMillis > 0) return new Date(job.opts.prevMillis);
  const fromId = job.id?.match(/:(\d+)$/);
  if (fromId) return new Date(Number(fromId[1]));
  return new Date(job.timestamp + (job.delay ?? 0));
}

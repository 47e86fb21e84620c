import { Inject, Injectable, Logger } from '@nestjs/common';
import { RunRepository } from '@gameday/db';
import { ABORT_QUEUE, FAULT_JOBS, JOB_OPTIONS, type AbortJob, abortJobSchema } from '@gameday/queue';
import type { Queue } from 'bullmq';

/**
 * Reverts are retried hard (JOB_OPTIONS.abort): an emergency stop must not give up while a fault
 * is applied. No `priority`: BullMQ runs prioritized jobs after every non-prioritized one; the
 * abort queue holds nothing but aborts instead.
 */
const ABORT_JOB_OPTIONS = JOB_OPTIONS.abort;

/** The queue only speeds the stop up; waiting longer for a Redis that is down would delay the answer. */
const ENQUEUE_TIMEOUT_MS = 1_000;

/**
 * Emergency stops are recorded in Postgres first (abortRequestedAt on the run): executors poll it
 * and reapers revert the leases of aborted runs from it, so the stop lands with Redis down. Then,
 * best effort, an abort job goes on the abort queue, which any worker takes at once to revert the
 * faults of the run — or of every run — from the lease ledger.
 */
@Injectable()
export class AbortRequests {
  private readonly logger = new Logger(AbortRequests.name);

  constructor(
    private readonly runs: RunRepository,
    @Inject(ABORT_QUEUE) private readonly abortQueue: Queue,
  ) {}

  /** Records the abort of every unfinished run, then queues one job reverting every open lease. */
  async abortAll(reason: string, at: Date): Promise<{ runIds: string[]; requestedAt: Date; queued: boolean }> {
    const runIds = await this.runs.requestAbortAll(at, reason);
    // the job also reverts open leases whose run is long gone
    const queued = await this.enqueue({ requestedAt: at.toISOString(), reason });
    return { runIds, requestedAt: at, queued };
  }

  /** Returns false when the job could not be queued (the Postgres record still stands). */
  async enqueue(job: AbortJob): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.abortQueue.add(FAULT_JOBS.abort, abortJobSchema.parse(job), ABORT_JOB_OPTIONS),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch (error) {
      this.logger.warn(`abort recorded in Postgres but not queued (Redis): ${(error as Error).message}`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

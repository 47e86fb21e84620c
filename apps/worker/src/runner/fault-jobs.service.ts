import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job, type Queue, type Worker } from 'bullmq';
import { APP_CONFIG, CLOCK, type AppConfig } from '@gameday/config';
import type { Clock, FaultDriver, FaultLease, LeaseRepository } from '@gameday/core';
import { RunRepository } from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import {
  FAULT_JOBS,
  JOB_OPTIONS,
  EngineQueues,
  QUEUES,
  abortJobSchema,
  dryRunJobSchema,
  engineQueue,
  revertJobSchema,
  hostWorker,
} from '@gameday/queue';
import { DryRunProcessor } from './dry-run.processor';
import { BACKSTOP_DELAY_MS, openLeases, revertClaimed, revertLease } from './lease-revert';
import { UnrecordedReverts } from './unrecorded-reverts';
import { FAULT_DRIVER, LEASE_REPOSITORY } from './runner.tokens';

const revertJobId = (runId: string, experimentIndex: number) => `revert-${runId}-${experimentIndex}`;

/**
 * The fault queue of this worker's engine: the delayed revert at the planned end (rollback layer
 * 1, queued before the fault is applied). Any worker connected to the same engine can take it, so
 * a fault is reverted even when the worker that armed it is gone; no worker of another engine
 * ever does (it would not find the container and take the fault for "already gone").
 */
@Injectable()
export class FaultJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FaultJobs.name);
  private readonly queue: Queue;
  private readonly workers: Worker[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FAULT_DRIVER) private readonly driver: FaultDriver,
    @Inject(LEASE_REPOSITORY) private readonly leases: LeaseRepository,
    private readonly runs: RunRepository,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    private readonly dryRuns: DryRunProcessor,
    private readonly unrecorded: UnrecordedReverts,
    queues: EngineQueues,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.queue = queues.get(QUEUES.fault, driver.engine);
  }

  async onApplicationBootstrap(): Promise<void> {
    // the shared queue of versions before per-engine queues is drained too (its reverts only
    // ever act on this engine's leases)
    for (const name of [engineQueue(QUEUES.fault, this.driver.engine), QUEUES.fault]) {
      this.workers.push(
        hostWorker(
          name,
          (job, token) => this.process(job, token),
          this.config,
          // reverts are short and must never wait behind each other
          { concurrency: 16, lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 5 },
          (message) => this.logger.error(message),
        ),
      );
    }
    this.metrics.watchQueues({ name: this.queue.name, counts: () => this.queue.getJobCounts() });
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  /** Workers close before the queues (producers close with the app, the DB after both). */
  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
  }

  async scheduleRevert(runId: string, experimentIndex: number, at: Date): Promise<void> {
    await this.queue.add(FAULT_JOBS.revert, revertJobSchema.parse({ runId, experimentIndex, reason: 'planned_end' }), {
      jobId: revertJobId(runId, experimentIndex),
      delay: Math.max(0, at.getTime() + BACKSTOP_DELAY_MS - this.clock.now().getTime()),
      ...JOB_OPTIONS.revert,
    });
  }

  async cancelRevert(runId: string, experimentIndex: number): Promise<void> {
    // the revert job is idempotent; removing it is housekeeping (a locked job cannot be removed)
    await this.queue.remove(revertJobId(runId, experimentIndex)).catch(() => undefined);
  }

  private async process(job: Job, token?: string): Promise<unknown> {
    if (job.name === FAULT_JOBS.revert) {
      const data = revertJobSchema.safeParse(job.data);
      if (!data.success) throw new UnrecoverableError(`invalid revert job: ${data.error.message}`);
      const heldUntil = await this.claimedUntil(data.data.runId, data.data.experimentIndex);
      if (heldUntil !== null && token) {
        // the executor is confirming this revert: come back when its claim lapses, not as a retry
        await job.moveToDelayed(heldUntil, token);
        throw new DelayedError();
      }
      return { reverted: await this.revert(data.data.runId, data.data.reason, data.data.experimentIndex) };
    }
    // aborts and dry runs have queues of their own (ControlQueues); these branches drain jobs a
    // previous version left on this queue
    if (job.name === FAULT_JOBS.abort) {
      const data = abortJobSchema.safeParse(job.data);
      if (!data.success) throw new UnrecoverableError(`invalid abort job: ${data.error.message}`);
      const began = this.clock.monotonicMs();
      const ids = data.data.runId ? [data.data.runId] : null;
      const reverted = await this.revert(ids ? ids[0] : null, 'abort');
      // the request's instant comes from another process: wall time
      const requestedAt = Date.parse(data.data.requestedAt);
      const latencyMs = Math.max(0, this.clock.now().getTime() - requestedAt);
      this.metrics.abortLatency.observe({ trigger: 'operator' }, latencyMs / 1000);
      return { reverted, tookMs: this.clock.monotonicMs() - began };
    }
    if (job.name === FAULT_JOBS.dryRun) {
      const data = dryRunJobSchema.safeParse(job.data);
      if (!data.success) throw new UnrecoverableError(`invalid dry-run job: ${data.error.message}`);
      return this.dryRuns.process(data.data);
    }
    throw new UnrecoverableError(`unknown fault job ${job.name}`);
  }

  /**
   * The helpers of the leases this job closed, unless an open lease still uses one. The job acts
   * when no executor confirms the revert (its worker died, or its run was resumed late): nobody
   * else would remove them, and a helper idles in the target's namespaces until its self-expiry
   * (a stress helper was found running after its run had ended in the lab's SIGKILL trials).
   */
  private async removeHelpers(closed: FaultLease[]): Promise<void> {
    if (closed.length === 0) return;
    const inUse = new Set((await openLeases(this.leases, this.driver)).map((l) => l.helperContainerId));
    await Promise.all(
      closed
        .filter((l) => l.helperContainerId && !inUse.has(l.helperContainerId))
        .map((l) =>
          this.driver.release(l).catch((error: Error) => {
            this.logger.warn(`could not remove the helper of lease ${l.id}: ${error.message}`);
          }),
        ),
    );
  }

  /** When the executor holds a lease of this experiment for its revert confirmation: until when. */
  private async claimedUntil(runId: string, experimentIndex: number): Promise<number | null> {
    const now = this.clock.now();
    const held = (
      await openLeases(
        this.leases,
        this.driver,
        (l) => l.runId === runId && l.experimentIndex === experimentIndex && revertClaimed(l, now),
      )
    ).map((l) => l.revertClaimedUntil!.getTime());
    return held.length > 0 ? Math.max(...held) : null;
  }

  /** Reverts every open lease of a run (or of all runs when runId is null). Throws if one fails, so the job retries. */
  async revert(runId: string | null, reason: string, experimentIndex?: number): Promise<number> {
    const open = await openLeases(
      this.leases,
      this.driver,
      (l) =>
        (runId === null || l.runId === runId) &&
        (experimentIndex === undefined || l.experimentIndex === experimentIndex),
    );
    const results = await Promise.allSettled(
      open.map(async (lease) => {
        const r = await revertLease(this.driver, this.leases, this.metrics, lease, reason, this.unrecorded);
        if (lease.runId) {
          await this.runs.appendEvent(lease.runId, {
            type: 'fault.reverted',
            experimentIndex: lease.experimentIndex,
            message: `reverted on ${lease.containerName} by the fault queue (${reason}): ${r.outcome}`,
            at: r.at,
            data: { leaseId: lease.id, outcome: r.outcome },
          });
        }
      }),
    );
    await this.removeHelpers(open.filter((_, i) => results[i].status === 'fulfilled'));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${open[i].containerName}: ${String((r.reason as Error)?.message ?? r.reason)}`] : [],
    );
    if (failed.length > 0) throw new Error(`could not revert ${failed.length} fault(s): ${failed.join('; ')}`);
    return open.length;
  }
}

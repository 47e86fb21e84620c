import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Job } from 'bullmq';
import { APP_CONFIG, CLOCK, type AppConfig } from '@gameday/config';
import type { Clock, FaultDriver, LeaseRepository } from '@gameday/core';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import {
  DEFAULT_ENGINE,
  EngineQueues,
  FAULT_JOBS,
  JOB_OPTIONS,
  RUNNER_QUEUES,
  abortJobSchema,
  dryRunJobSchema,
  engineQueue,
  HostedWorkers,
  jobData,
  type AbortJob,
} from '@gameday/queue';
import { DryRunProcessor } from './dry-run.processor';
import { FaultJobs } from './fault-jobs.service';
import { FAULT_DRIVER, LEASE_REPOSITORY } from './runner.tokens';

/**
 * The emergency stop and the dry runs each have a queue of their own: nothing ever waits in
 * front of an abort (not even delayed reverts falling due), and a flood of dry runs (viewers may
 * ask for them) only delays other dry runs.
 *
 * Both exist per Docker Engine. The API puts an abort on the shared abort queue; the worker that
 * takes it reverts what its own engine holds and passes the abort on to the abort queue of every
 * other engine with an open lease in scope (Postgres knows which). A dry run goes to the queue of
 * the engine its GameDay names, where its targets are resolved.
 */
@Injectable()
export class ControlQueues implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ControlQueues.name);
  private readonly workers: HostedWorkers;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly faultJobs: FaultJobs,
    private readonly dryRuns: DryRunProcessor,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    @Inject(FAULT_DRIVER) private readonly driver: FaultDriver,
    @Inject(LEASE_REPOSITORY) private readonly leases: LeaseRepository,
    private readonly queues: EngineQueues,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.workers = new HostedWorkers(config, (message) => this.logger.error(message));
  }

  async onApplicationBootstrap(): Promise<void> {
    const options = { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 5 };
    const engine = this.driver.engine;
    const name = this.config.GAMEDAY_ENGINE_NAME;
    const dryRunQueues = new Set([engineQueue(RUNNER_QUEUES.dryRun, name), engineQueue(RUNNER_QUEUES.dryRun, engine)]);
    if (name === DEFAULT_ENGINE) dryRunQueues.add(RUNNER_QUEUES.dryRun); // left by earlier versions
    this.workers
      .host(RUNNER_QUEUES.abort, (job) => this.abort(job, true), { ...options, concurrency: 8 })
      .host(engineQueue(RUNNER_QUEUES.abort, engine), (job) => this.abort(job, false), { ...options, concurrency: 8 });
    for (const q of dryRunQueues) this.workers.host(q, (job) => this.dryRun(job), { ...options, concurrency: 4 });
    for (const queue of [this.queues.get(RUNNER_QUEUES.abort, engine), this.queues.get(RUNNER_QUEUES.dryRun, name)])
      this.metrics.watchQueues({ name: queue.name, counts: () => queue.getJobCounts() });
    await this.workers.ready();
  }

  async onModuleDestroy(): Promise<void> {
    await this.workers.close();
  }

  private async abort(job: Job, shared: boolean): Promise<unknown> {
    const abort = jobData(job, abortJobSchema, FAULT_JOBS.abort);
    const began = this.clock.monotonicMs();
    const passedOn = shared ? await this.passOn(abort, job.id ?? String(this.clock.now().getTime())) : [];
    const reverted = await this.faultJobs.revert(abort.runId ?? null, 'abort');
    // the request's instant comes from another process: wall time
    const requestedAt = Date.parse(abort.requestedAt);
    const latencyMs = Math.max(0, this.clock.now().getTime() - requestedAt);
    this.metrics.abortLatency.observe({ trigger: 'operator' }, latencyMs / 1000);
    return { reverted, passedOn, tookMs: this.clock.monotonicMs() - began };
  }

  /** Queues the abort for every other engine holding an open lease in its scope; returns those engines. */
  private async passOn(abort: AbortJob, jobId: string): Promise<string[]> {
    const open = await this.leases.listActive();
    const engines = new Set(
      open
        .filter((l) => l.engine !== this.driver.engine && (abort.runId === undefined || l.runId === abort.runId))
        .map((l) => l.engine),
    );
    for (const engine of engines)
      await this.queues.get(RUNNER_QUEUES.abort, engine).add(FAULT_JOBS.abort, abort, {
        jobId: `${jobId}-${engineQueue(RUNNER_QUEUES.abort, engine)}`,
        ...JOB_OPTIONS.abort,
      });
    return [...engines];
  }

  private async dryRun(job: Job): Promise<unknown> {
    return this.dryRuns.process(jobData(job, dryRunJobSchema, FAULT_JOBS.dryRun));
  }
}

import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import {
  FAULT_JOBS,
  RUNNER_QUEUES,
  abortJobSchema,
  dryRunJobSchema,
  redisConnection,
  hostWorker,
} from '@gameday/queue';
import { DryRunProcessor } from './dry-run.processor';
import { FaultJobs } from './fault-jobs.service';

/**
 * The emergency stop and the dry runs each have a queue of their own: nothing ever waits in
 * front of an abort (not even delayed reverts falling due), and a flood of dry runs (viewers may
 * ask for them) only delays other dry runs.
 */
@Injectable()
export class ControlQueues implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ControlQueues.name);
  private readonly workers: Worker[] = [];
  private readonly queues: Queue[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly faultJobs: FaultJobs,
    private readonly dryRuns: DryRunProcessor,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const options = { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 5 };
    const log = (message: string) => this.logger.error(message);
    this.workers.push(
      hostWorker(RUNNER_QUEUES.abort, (job) => this.abort(job), this.config, { ...options, concurrency: 8 }, log),
      hostWorker(RUNNER_QUEUES.dryRun, (job) => this.dryRun(job), this.config, { ...options, concurrency: 4 }, log),
    );
    for (const name of [RUNNER_QUEUES.abort, RUNNER_QUEUES.dryRun]) {
      const queue = new Queue(name, {
        connection: redisConnection(this.config.REDIS_URL, { maxRetriesPerRequest: 1 }),
        prefix: this.config.QUEUE_PREFIX,
      });
      queue.on('error', () => undefined);
      this.queues.push(queue);
      this.metrics.watchQueues({ name, counts: () => queue.getJobCounts() });
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled(this.queues.map((q) => q.close()));
  }

  private async abort(job: Job): Promise<unknown> {
    if (job.name !== FAULT_JOBS.abort) throw new UnrecoverableError(`unknown abort-queue job ${job.name}`);
    const data = abortJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError(`invalid abort job: ${data.error.message}`);
    const started = Date.now();
    const reverted = await this.faultJobs.revert(data.data.runId ?? null, 'abort');
    const requestedAt = Date.parse(data.data.requestedAt);
    this.metrics.abortLatency.observe({ trigger: 'operator' }, Math.max(0, Date.now() - requestedAt) / 1000);
    return { reverted, tookMs: Date.now() - started };
  }

  private async dryRun(job: Job): Promise<unknown> {
    if (job.name !== FAULT_JOBS.dryRun) throw new UnrecoverableError(`unknown dry-run-queue job ${job.name}`);
    const data = dryRunJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError(`invalid dry-run job: ${data.error.message}`);
    return this.dryRuns.process(data.data);
  }
}

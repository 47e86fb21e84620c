import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import {
  JOBS,
  JOB_OPTIONS,
  QUEUES,
  RUN_QUEUE,
  SCHEDULE_QUEUE,
  fireJobSchema,
  launchJobSchema,
  occurrenceOf,
  HostedWorkers,
  jobData,
  type HostedWorkerOptions,
} from '@gameday/queue';
import type { Job, Queue } from 'bullmq';
import DataLoader from 'dataloader';
import { FireService, type FireOutcome, type Firing } from './fire.service';
import { Reconciler } from './reconciler.service';

/**
 * The BullMQ workers of this process. Job bodies are short (a few queries): the lock can be
 * short too, so a crashed worker's job is picked up again within ~30 s; a stalled job is retried
 * once — a second firing of the same occurrence is harmless (unique run per occurrence).
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueWorkers.name);
  private readonly workers: HostedWorkers;
  /**
   * The fire jobs this worker takes within a few milliseconds of each other (a burst due at one
   * instant) fire as one batch (FireService.fireMany); each job still ends on its own outcome.
   */
  private readonly firings = new DataLoader<Firing, FireOutcome>((items) => this.fire.fireMany(items), {
    cache: false,
    maxBatchSize: 500,
    batchScheduleFn: (fire) => setTimeout(fire, 2),
  });

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly fire: FireService,
    private readonly reconciler: Reconciler,
    @Inject(SCHEDULE_QUEUE) private readonly scheduleQueue: Queue,
    @Inject(RUN_QUEUE) private readonly runQueue: Queue,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
  ) {
    this.workers = new HostedWorkers(config, (message) => this.logger.error(message));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.WORKER_RECONCILE) await this.reconciler.schedules();
    const options: HostedWorkerOptions = {
      concurrency: this.config.WORKER_CONCURRENCY,
      lockDuration: 30_000,
      stalledInterval: 30_000,
      maxStalledCount: 1,
      // defaults for jobs enqueued without their own retention
      removeOnComplete: JOB_OPTIONS.fire.removeOnComplete,
      removeOnFail: JOB_OPTIONS.fire.removeOnFail,
    };
    this.workers
      .host(QUEUES.schedule, (job) => this.onFire(job), options)
      .host(QUEUES.run, (job) => this.onLaunch(job), options);
    await this.workers.ready();
    for (const q of [this.scheduleQueue, this.runQueue])
      this.metrics.watchQueues({ name: q.name, counts: () => q.getJobCounts() });
    this.logger.log(`workers ready on ${QUEUES.schedule}, ${QUEUES.run} (prefix ${this.config.QUEUE_PREFIX})`);
  }

  /** Closed first on shutdown: in-flight jobs finish, no new ones start; queues and DB go later. */
  async onModuleDestroy(): Promise<void> {
    await this.workers.close();
  }

  get running(): boolean {
    return this.workers.running;
  }

  private async onFire(job: Job): Promise<unknown> {
    const data = jobData(job, fireJobSchema, JOBS.fire);
    const scheduledFor = occurrenceOf({
      id: job.id,
      data,
      opts: job.opts as { prevMillis?: number },
      timestamp: job.timestamp,
      delay: job.delay,
    });
    const outcome = await this.firings.load({ job: data, scheduledFor });
    if (outcome.outcome === 'ignored') this.logger.log(`fire ${job.id} ignored: ${outcome.reason}`);
    return outcome;
  }

  private async onLaunch(job: Job): Promise<unknown> {
    return this.fire.launchExisting(jobData(job, launchJobSchema).runId);
  }
}

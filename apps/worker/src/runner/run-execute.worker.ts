import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import type { Run } from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import {
  EXECUTE_JOB,
  JOB_OPTIONS,
  RUNNER_QUEUES,
  executeJobId,
  executeJobSchema,
  redisConnection,
  hostWorker,
} from '@gameday/queue';
import type { RunLauncher } from '../launch/run-launcher';
import { RunExecutor } from './run-executor.service';

/**
 * Runs are executed by one long job each. BullMQ renews the job's lock while it runs; when the
 * worker dies the job stalls and another worker resumes the run from its state in Postgres
 * (the fault itself is safe meanwhile: see RunExecutor). The deterministic job id makes a second
 * launch of the same run a no-op.
 */
@Injectable()
export class RunExecuteWorker implements RunLauncher, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RunExecuteWorker.name);
  private readonly queue: Queue;
  private worker: Worker | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly executor: RunExecutor,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
  ) {
    this.queue = new Queue(RUNNER_QUEUES.execute, {
      connection: redisConnection(config.REDIS_URL, { maxRetriesPerRequest: 1 }),
      prefix: config.QUEUE_PREFIX,
    });
  }

  async launch(run: Run): Promise<void> {
    await this.queue.add(EXECUTE_JOB, executeJobSchema.parse({ runId: run.id }), {
      jobId: executeJobId(run.id),
      ...JOB_OPTIONS.execute,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.worker = hostWorker(
      RUNNER_QUEUES.execute,
      (job) => this.process(job),
      this.config,
      { concurrency: 50, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 10 },
      (message) => this.logger.error(message),
    );
    this.worker.on('failed', (job, err) => this.logger.error(`run ${job?.data?.runId} failed: ${err.message}`));
    this.metrics.watchQueues({ name: this.queue.name, counts: () => this.queue.getJobCounts() });
    await this.worker.waitUntilReady();
  }

  async onModuleDestroy(): Promise<void> {
    // closing waits for running runs only up to the process's shutdown budget; a run cut short is
    // resumed by another worker, and its fault is reverted by the helper's own clock regardless
    await this.worker?.close(true);
    await this.queue.close();
  }

  private async process(job: Job): Promise<void> {
    if (job.name !== EXECUTE_JOB) throw new UnrecoverableError(`unknown job ${job.name}`);
    const data = executeJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError(`invalid execute job: ${data.error.message}`);
    await this.executor.execute(data.data.runId);
  }
}

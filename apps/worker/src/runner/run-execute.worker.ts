import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import type { Run } from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import type { FaultDriver } from '@gameday/core';
import {
  DEFAULT_ENGINE,
  EXECUTE_JOB,
  EngineQueues,
  JOB_OPTIONS,
  RUNNER_QUEUES,
  engineOf,
  engineQueue,
  executeJobId,
  executeJobSchema,
  hostWorker,
} from '@gameday/queue';
import type { RunLauncher } from '../launch/run-launcher';
import { RunExecutor } from './run-executor.service';
import { FAULT_DRIVER } from './runner.tokens';

/**
 * Runs are executed by one long job each. BullMQ renews the job's lock while it runs; when the
 * worker dies the job stalls and another worker resumes the run from its state in Postgres
 * (the fault itself is safe meanwhile: see RunExecutor). The deterministic job id makes a second
 * launch of the same run a no-op. A run is queued for the engine its GameDay names and only
 * workers connected to that engine take it: targets are resolved there and nowhere else.
 */
@Injectable()
export class RunExecuteWorker implements RunLauncher, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RunExecuteWorker.name);
  private readonly workers: Worker[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly executor: RunExecutor,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    @Inject(FAULT_DRIVER) private readonly driver: FaultDriver,
    private readonly queues: EngineQueues,
  ) {}

  async launch(run: Run): Promise<void> {
    const queue = this.queues.get(RUNNER_QUEUES.execute, engineOf(run.spec));
    await queue.add(EXECUTE_JOB, executeJobSchema.parse({ runId: run.id }), {
      jobId: executeJobId(run.id),
      ...JOB_OPTIONS.execute,
    });
  }

  /** The queues this worker executes from: its engine's name and daemon ID (and, as "default", the pre-engine queue). */
  listensOn(): string[] {
    const names = [this.config.GAMEDAY_ENGINE_NAME, this.driver.engine].map((e) =>
      engineQueue(RUNNER_QUEUES.execute, e),
    );
    if (this.config.GAMEDAY_ENGINE_NAME === DEFAULT_ENGINE) names.push(RUNNER_QUEUES.execute);
    return [...new Set(names)];
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const name of this.listensOn()) {
      const worker = hostWorker(
        name,
        (job) => this.process(job),
        this.config,
        { concurrency: 50, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 10 },
        (message) => this.logger.error(message),
      );
      worker.on('failed', (job, err) => this.logger.error(`run ${job?.data?.runId} failed: ${err.message}`));
      this.workers.push(worker);
    }
    const own = this.queues.get(RUNNER_QUEUES.execute, this.config.GAMEDAY_ENGINE_NAME);
    this.metrics.watchQueues({ name: own.name, counts: () => own.getJobCounts() });
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  async onModuleDestroy(): Promise<void> {
    // closing waits for running runs only up to the process's shutdown budget; a run cut short is
    // resumed by another worker, and its fault is reverted by the helper's own clock regardless
    await Promise.allSettled(this.workers.map((w) => w.close(true)));
  }

  private async process(job: Job): Promise<void> {
    if (job.name !== EXECUTE_JOB) throw new UnrecoverableError(`unknown job ${job.name}`);
    const data = executeJobSchema.safeParse(job.data);
    if (!data.success) throw new UnrecoverableError(`invalid execute job: ${data.error.message}`);
    await this.executor.execute(data.data.runId);
  }
}

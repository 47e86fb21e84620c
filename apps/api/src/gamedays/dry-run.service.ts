import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import {
  DRY_RUN_QUEUE,
  FAULT_JOBS,
  JOB_OPTIONS,
  RUNNER_QUEUES,
  dryRunJobSchema,
  redisConnection,
  type DryRunReport,
} from '@gameday/queue';
import { Queue, QueueEvents } from 'bullmq';
import { PROBLEM_TYPES, ProblemException } from '../common/problem';

export const DRY_RUN_TIMEOUT_MS = Symbol('DRY_RUN_TIMEOUT_MS');
export const DEFAULT_DRY_RUN_TIMEOUT_MS = 15_000;

/**
 * The API never touches Docker: a dry run is a job on the dry-run queue (its own, so a flood of
 * them delays no revert or abort), answered by whichever worker holds the Docker Engine, and
 * awaited here through the queue's event stream.
 */
@Injectable()
export class DryRunService implements OnApplicationShutdown {
  private readonly logger = new Logger(DryRunService.name);
  private events: QueueEvents | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DRY_RUN_QUEUE) private readonly queue: Queue,
    @Inject(DRY_RUN_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  async dryRun(gameDayId: string): Promise<DryRunReport> {
    const events = await this.queueEvents();
    const job = await this.queue.add(FAULT_JOBS.dryRun, dryRunJobSchema.parse({ gameDayId }), JOB_OPTIONS.dryRun);
    try {
      return (await job.waitUntilFinished(events, this.timeoutMs)) as DryRunReport;
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (/timed out/i.test(message)) {
        // nobody will wait for the answer any more; a job not yet taken is dropped
        await job.remove().catch(() => undefined);
        throw new ProblemException({
          type: PROBLEM_TYPES.workerTimeout,
          title: 'Gateway Timeout',
          status: 504,
          detail: `no worker answered the dry run within ${this.timeoutMs} ms (is a worker running with access to the Docker Engine?)`,
        });
      }
      throw new ProblemException({
        type: PROBLEM_TYPES.workerFailed,
        title: 'Bad Gateway',
        status: 502,
        detail: `the worker could not complete the dry run: ${message}`,
      });
    }
  }

  /** One event stream for every request, opened on first use so the API starts without Redis. */
  private async queueEvents(): Promise<QueueEvents> {
    if (!this.events) {
      this.events = new QueueEvents(RUNNER_QUEUES.dryRun, {
        connection: redisConnection(this.config.REDIS_URL, { maxRetriesPerRequest: null }),
        prefix: this.config.QUEUE_PREFIX,
      });
      this.events.on('error', (err) => this.logger.warn(`dry-run queue events: ${err.message}`));
    }
    try {
      await this.events.waitUntilReady();
    } catch (error) {
      throw new ProblemException({
        type: PROBLEM_TYPES.unavailable,
        title: 'Service Unavailable',
        status: 503,
        detail: `the job queue is unreachable (Redis): ${(error as Error).message}`,
      });
    }
    return this.events;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events?.close().catch(() => undefined);
  }
}

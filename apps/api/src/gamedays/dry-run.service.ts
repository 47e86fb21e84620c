import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import {
  DEFAULT_ENGINE,
  EngineQueues,
  FAULT_JOBS,
  JOB_OPTIONS,
  RUNNER_QUEUES,
  dryRunJobSchema,
  engineQueue,
  closeWith,
  redisConnection,
  type DryRunReport,
} from '@gameday/queue';
import { QueueEvents } from 'bullmq';
import { PROBLEM_TYPES, ProblemException } from '../common/problem';

export const DRY_RUN_TIMEOUT_MS = Symbol('DRY_RUN_TIMEOUT_MS');
export const DEFAULT_DRY_RUN_TIMEOUT_MS = 15_000;

/**
 * The API never touches Docker: a dry run is a job on the dry-run queue of the engine the GameDay
 * names (its own queue, so a flood of them delays no revert or abort), answered by a worker
 * connected to that engine, and awaited here through the queue's event stream.
 */
@Injectable()
export class DryRunService implements OnApplicationShutdown {
  private readonly logger = new Logger(DryRunService.name);
  private readonly events = new Map<string, QueueEvents>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queues: EngineQueues,
    @Inject(DRY_RUN_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  async dryRun(gameDayId: string, engine: string = DEFAULT_ENGINE): Promise<DryRunReport> {
    const events = await this.queueEvents(engine);
    const job = await this.queues
      .get(RUNNER_QUEUES.dryRun, engine)
      .add(FAULT_JOBS.dryRun, dryRunJobSchema.parse({ gameDayId }), JOB_OPTIONS.dryRun);
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
          detail: `no worker answered the dry run within ${this.timeoutMs} ms (is a worker of engine "${engine}" running with access to its Docker Engine?)`,
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

  /** One event stream per engine for every request, opened on first use so the API starts without Redis. */
  private async queueEvents(engine: string): Promise<QueueEvents> {
    const name = engineQueue(RUNNER_QUEUES.dryRun, engine);
    let events = this.events.get(name);
    if (!events) {
      const connection = redisConnection(this.config, { maxRetriesPerRequest: null });
      events = closeWith(new QueueEvents(name, { connection, prefix: this.config.QUEUE_PREFIX }), connection);
      events.on('error', (err) => this.logger.warn(`${name} queue events: ${err.message}`));
      this.events.set(name, events);
    }
    try {
      await events.waitUntilReady();
    } catch (error) {
      throw new ProblemException({
        type: PROBLEM_TYPES.unavailable,
        title: 'Service Unavailable',
        status: 503,
        detail: `the job queue is unreachable (Redis): ${(error as Error).message}`,
      });
    }
    return events;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.events.values()].map((e) => e.close()));
  }
}

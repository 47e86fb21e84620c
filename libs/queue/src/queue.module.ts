import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { QUEUES, RUNNER_QUEUES, engineQueue, type EngineQueueKind } from './queues';
import { closeWith, redisConnection, type RedisSettings } from './redis-options';
import { ScheduleSync } from './schedule-sync';

export const SCHEDULE_QUEUE = Symbol('SCHEDULE_QUEUE');
export const RUN_QUEUE = Symbol('RUN_QUEUE');
/** emergency stops (abort jobs), on a queue of their own; workers pass them on to each engine's */
export const ABORT_QUEUE = Symbol('ABORT_QUEUE');

/** Queue producers (no workers): what the API needs to enqueue and what the worker reconciles with. */
export function createQueue(name: string, config: RedisSettings & Pick<AppConfig, 'QUEUE_PREFIX'>): Queue {
  // a request fails (rather than hangs) when Redis stays down
  const connection = redisConnection(config, { maxRetriesPerRequest: 1 });
  const queue = closeWith(new Queue(name, { connection, prefix: config.QUEUE_PREFIX }), connection);
  // an unhandled 'error' event would end the process; callers see the failed request instead
  queue.on('error', () => undefined);
  return queue;
}

/** Producers for the per-engine queues (see engineQueue), opened on first use. */
@Injectable()
export class EngineQueues {
  private readonly queues = new Map<string, Queue>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get(kind: EngineQueueKind, engine: string): Queue {
    const name = engineQueue(kind, engine);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = createQueue(name, this.config);
      this.queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

/** Producers close after every worker (workers close in onModuleDestroy, before this runs). */
@Injectable()
export class QueueCloser implements OnApplicationShutdown {
  constructor(
    @Inject(SCHEDULE_QUEUE) private readonly schedule: Queue,
    @Inject(RUN_QUEUE) private readonly run: Queue,
    @Inject(ABORT_QUEUE) private readonly abort: Queue,
    private readonly engines: EngineQueues,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.schedule, this.run, this.abort].map((q) => q.close()));
    await this.engines.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: SCHEDULE_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(QUEUES.schedule, c) },
    { provide: RUN_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(QUEUES.run, c) },
    { provide: ABORT_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(RUNNER_QUEUES.abort, c) },
    EngineQueues,
    { provide: ScheduleSync, inject: [SCHEDULE_QUEUE], useFactory: (q: Queue) => new ScheduleSync(q) },
    QueueCloser,
  ],
  exports: [SCHEDULE_QUEUE, RUN_QUEUE, ABORT_QUEUE, EngineQueues, ScheduleSync],
})
export class QueueModule {}

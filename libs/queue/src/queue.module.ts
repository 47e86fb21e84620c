import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { QUEUES, RUNNER_QUEUES } from './queues';
import { redisConnection } from './redis-options';
import { ScheduleSync } from './schedule-sync';

export const SCHEDULE_QUEUE = Symbol('SCHEDULE_QUEUE');
export const RUN_QUEUE = Symbol('RUN_QUEUE');
/** the fault engine's queue: the API enqueues emergency stops (abort jobs) on it */
export const FAULT_QUEUE = Symbol('FAULT_QUEUE');
/** emergency stops (abort jobs), on a queue of their own */
export const ABORT_QUEUE = Symbol('ABORT_QUEUE');
/** dry runs, on a queue of their own */
export const DRY_RUN_QUEUE = Symbol('DRY_RUN_QUEUE');

/** Queue producers (no workers): what the API needs to enqueue and what the worker reconciles with. */
export function createQueue(name: string, config: Pick<AppConfig, 'REDIS_URL' | 'QUEUE_PREFIX'>): Queue {
  const queue = new Queue(name, {
    connection: redisConnection(config.REDIS_URL, {
      // a request fails (rather than hangs) when Redis stays down
      maxRetriesPerRequest: 1,
    }),
    prefix: config.QUEUE_PREFIX,
  });
  // an unhandled 'error' event would end the process; callers see the failed request instead
  queue.on('error', () => undefined);
  return queue;
}

@Injectable()
export class QueueCloser implements OnApplicationShutdown {
  constructor(
    @Inject(SCHEDULE_QUEUE) private readonly schedule: Queue,
    @Inject(RUN_QUEUE) private readonly run: Queue,
    @Inject(FAULT_QUEUE) private readonly fault: Queue,
    @Inject(ABORT_QUEUE) private readonly abort: Queue,
    @Inject(DRY_RUN_QUEUE) private readonly dryRun: Queue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.schedule, this.run, this.fault, this.abort, this.dryRun].map((q) => q.close()));
  }
}

@Global()
@Module({
  providers: [
    { provide: SCHEDULE_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(QUEUES.schedule, c) },
    { provide: RUN_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(QUEUES.run, c) },
    { provide: FAULT_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(QUEUES.fault, c) },
    { provide: ABORT_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(RUNNER_QUEUES.abort, c) },
    {
      provide: DRY_RUN_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => createQueue(RUNNER_QUEUES.dryRun, c),
    },
    { provide: ScheduleSync, inject: [SCHEDULE_QUEUE], useFactory: (q: Queue) => new ScheduleSync(q) },
    QueueCloser,
  ],
  exports: [SCHEDULE_QUEUE, RUN_QUEUE, FAULT_QUEUE, ABORT_QUEUE, DRY_RUN_QUEUE, ScheduleSync],
})
export class QueueModule {}

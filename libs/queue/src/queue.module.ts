import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { QUEUES } from './queue.constants';
import { redisConnection } from './redis-options';
import { ScheduleSync } from './schedule-sync';

export const SCHEDULE_QUEUE = Symbol('SCHEDULE_QUEUE');
export const RUN_QUEUE = Symbol('RUN_QUEUE');
/** the fault engine's queue: the API enqueues emergency stops (abort jobs) on it */
export const FAULT_QUEUE = Symbol('FAULT_QUEUE');

/** Queue producers (no workers): what the API needs to enqueue and what the worker reconciles with. */
export function createQueue(name: string, config: Pick<AppConfig, 'REDIS_URL' | 'QUEUE_PREFIX'>): Queue {
  return new Queue(name, {
    connection: redisConnection(config.REDIS_URL, {
      // a request fails (rather than hangs) when Redis stays down
      maxRetriesPerRequest: 1,
    }),
    prefix: config.QUEUE_PREFIX,
  });
}

@Injectable()
export class QueueCloser implements OnApplicationShutdown {
  constructor(
    @Inject(SCHEDULE_QUEUE) private readonly schedule: Queue,
    @Inject(RUN_QUEUE) private readonly run: Queue,
    @Inject(FAULT_QUEUE) private readonly fault: Queue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.schedule.close(), this.run.close(), this.fault.close()]);
  }
}

@Global()
@Module({
  providers: [
    { provide: SCHEDULE_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(QUEUES.schedule, c) },
    { provide: RUN_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(QUEUES.run, c) },
    { provide: FAULT_QUEUE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createQueue(QUEUES.fault, c) },
    { provide: ScheduleSync, inject: [SCHEDULE_QUEUE], useFactory: (q: Queue) => new ScheduleSync(q) },
    QueueCloser,
  ],
  exports: [SCHEDULE_QUEUE, RUN_QUEUE, FAULT_QUEUE, ScheduleSync],
})
export class QueueModule {}

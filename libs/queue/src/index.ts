export * from './queues';
export * from './schedule-sync';
export * from './redis-options';
export * from './queue.module';
export * from './worker-host';

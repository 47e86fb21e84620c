export * from './queue.constants';
export * from './job.schema';
export * from './schedule-sync';
export * from './redis-options';
export * from './queue.module';
export * from './runner-jobs';

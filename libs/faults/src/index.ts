export * from './docker-exec';
export * from './helper-image';
export * from './step-runner';
export * from './capability-probe';
export * from './docker-fault.driver';

export * from './run-state';
export * from './run-plan';
export * from './arming-lead';
export * from './sample-warnings';
export * from './observed-windows';
export * from './run-result.schema';
export * from './reverify';

export * from './run-state';
export * from './run-plan';

export * from './fault-kind';
export * from './fault-kind.registry';
export { containerSteps } from './container/container.kind';

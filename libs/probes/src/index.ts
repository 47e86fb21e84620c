export * from './http-probe';
export * from './probe-loop';
export * from './load-generator';

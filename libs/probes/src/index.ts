export * from './http-probe';
export * from './probe-loop';
export * from './prometheus-probe';
export * from './load-generator';
export * from './egress-guard';
export * from './webhook-client';

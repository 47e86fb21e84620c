export * from './fault.schema';
export * from './netem-args';
export * from './network-fault.compiler';
export * from './qdisc-verify';
export * from './target-selection';
export * from './fault-lease';
export * from './fault-driver';
export * from './clock-offset';

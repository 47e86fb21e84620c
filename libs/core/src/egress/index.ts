export * from './ip-address';
export * from './egress-policy';

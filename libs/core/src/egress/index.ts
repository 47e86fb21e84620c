export * from './ip-address';
export * from './egress-policy';
export * from './local-address-table';

export const FAULT_DRIVER = Symbol('FAULT_DRIVER');
export const LEASE_REPOSITORY = Symbol('LEASE_REPOSITORY');

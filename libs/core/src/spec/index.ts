export * from './primitives.schema';
export * from './gameday.schema';
export * from './field-errors';
export * from './storable-text';
export * from './promql';
export * from './http-header';
export * from './admin-only';
export * from './templates';

export * from './fault.schema';

export * from './config.schema';
export * from './config.module';
export { secretWeakness } from './secret-strength';

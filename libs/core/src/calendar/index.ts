export * from './calendar';
export * from './skip-streak';

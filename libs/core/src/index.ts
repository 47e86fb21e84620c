export * from './clock';
export * from './units/duration';

export * from './clock';
export * from './units/duration';
export * from './run';
export * from './stats';
export * from './faults';
export * from './spec';
export * from './calendar';
export * from './report';

export * from './summary';
export * from './verdict';
export * from './recovery';
export * from './guardrail';
export * from './gate';
export * from './load-aggregate';

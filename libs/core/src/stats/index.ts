export * from './summary';
export * from './verdict';
export * from './recovery';
export * from './guardrail';
export * from './load-aggregate';

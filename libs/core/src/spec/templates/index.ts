export * from './gameday-template';
export * from './template-catalogue';

export * from './report.types';
export * from './escape';
export * from './downsample';
export * from './report-sections';
export * from './latency-chart';
export * from './report-html';
export * from './report-markdown';

import 'reflect-metadata';
import { ConfigError, loadConfig } from '@gameday/config';
import { createWorkerApp } from './bootstrap';

createWorkerApp(loadConfig()).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@gameday/config';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { createWorkerApp } from './bootstrap';
import { installLastResortHandler } from './last-resort-handler';

async function main(): Promise<void> {
  const app = await createWorkerApp(loadConfig());
  // only now: an error while starting (configuration, Postgres, Redis, Docker) must stop the process
  installLastResortHandler(process, new Logger('LastResort'), app.get<GameDayMetrics>(METRICS).uncaughtErrors);
}

main().catch((error: unknown) => {
  // configuration errors name the variable; anything else keeps its stack
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

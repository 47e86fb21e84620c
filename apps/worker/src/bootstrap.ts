import 'reflect-metadata';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '@gameday/config';
import { Logger } from 'nestjs-pino';
import type { RunLauncher } from './launch/run-launcher';
import type { RunnerHooks } from './runner/runner.hooks';
import { WorkerModule } from './worker.module';

/** Builds and starts the worker (an application context: no HTTP API, only its metrics server). */
export async function createWorkerApp(
  config: AppConfig,
  options: { logger?: boolean; launcher?: Type<RunLauncher>; hooks?: RunnerHooks } = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(
    WorkerModule.withConfig(config, { launcher: options.launcher, hooks: options.hooks }),
    { bufferLogs: true, ...(options.logger === false ? { logger: false } : {}) },
  );
  if (options.logger !== false) app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  return app;
}

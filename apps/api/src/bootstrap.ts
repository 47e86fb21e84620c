import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@gameday/config';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { RUN_QUEUE, SCHEDULE_QUEUE } from '@gameday/queue';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule, type ApiOptions } from './app.module';
import { sendProblem, titleFor } from './common/problem.filter';
import { PROBLEM_TYPES } from './common/problem';
import { securityHeaders } from './common/security-headers';
import { serveWebUi } from './common/web-ui';
import { openApiDocument } from './openapi-document';

/** Builds the API application (not listening): used by main and by the integration tests. */
export async function createApiApp(
  config: AppConfig,
  // webUiDir: the built web UI to serve (tests hand in a fixture); default dist/web
  options: { logger?: boolean; webUiDir?: string } & ApiOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.withConfig(config, { dryRunTimeoutMs: options.dryRunTimeoutMs }),
    { bodyParser: false, bufferLogs: true, ...(options.logger === false ? { logger: false } : {}) },
  );
  if (options.logger !== false) app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  // behind a proxy (the compose stack's gateway), the client's address comes from its X-Forwarded-For
  if (config.TRUST_PROXY_HOPS > 0) app.set('trust proxy', config.TRUST_PROXY_HOPS);
  app.use(securityHeaders);
  app.useBodyParser('json', { limit: config.BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  // body-parser errors happen before Nest's filters see the request: answer them as problems too
  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    const status = err.status && err.status >= 400 && err.status < 600 ? err.status : 400;
    const detail =
      err.type === 'entity.too.large'
        ? `the body exceeds ${config.BODY_LIMIT}`
        : err.type === 'entity.parse.failed'
          ? `the body is not valid JSON: ${err.message}`
          : err.message;
    sendProblem(res, {
      type: err.type === 'entity.parse.failed' ? PROBLEM_TYPES.validation : 'about:blank',
      title: titleFor(status),
      status,
      detail,
      instance: req.originalUrl,
      ...(err.type === 'entity.parse.failed' ? { errors: [{ field: '', message: 'invalid JSON' }] } : {}),
    });
  });

  const metrics = app.get<GameDayMetrics>(METRICS);
  for (const token of [SCHEDULE_QUEUE, RUN_QUEUE]) {
    const queue = app.get<Queue>(token);
    metrics.watchQueues({ name: queue.name, counts: () => queue.getJobCounts() });
  }

  SwaggerModule.setup('docs', app, openApiDocument(app), { jsonDocumentUrl: 'docs/json' });
  serveWebUi(app, options.webUiDir);
  return app;
}

import { Controller, Get, Header, Inject, Logger, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DatabaseHealth } from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { SCHEDULE_QUEUE } from '@gameday/queue';
import type { Queue } from 'bullmq';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';

const CHECK_TIMEOUT_MS = 1_500;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS,
      ).unref(),
    ),
  ]);
}

@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly database: DatabaseHealth,
    @Inject(SCHEDULE_QUEUE) private readonly queue: Queue,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
  ) {}

  /** Liveness: the process answers. Dependencies are /readyz's business. */
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Readiness: Postgres and Redis both answer; 503 naming the one that does not. */
  @Get('readyz')
  async readyz() {
    const [postgres, redis] = await Promise.allSettled([
      withTimeout(this.database.ping(), 'Postgres'),
      withTimeout(
        this.queue.getBackend().client.then((c) => (c as unknown as { ping(): Promise<string> }).ping()),
        'Redis',
      ),
    ]);
    // anonymous callers learn up/down only: driver error text names hosts, users and databases
    for (const [name, r] of [
      ['Postgres', postgres],
      ['Redis', redis],
    ] as const)
      if (r.status === 'rejected') this.logger.warn(`readiness: ${name} down: ${(r.reason as Error).message}`);
    const checks = {
      postgres: postgres.status === 'fulfilled' ? 'up' : 'down',
      redis: redis.status === 'fulfilled' ? 'up' : 'down',
    };
    if (postgres.status === 'rejected' || redis.status === 'rejected') {
      const down = Object.entries(checks)
        .filter(([, v]) => v !== 'up')
        .map(([k]) => `${k} down`);
      throw new ServiceUnavailableException({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: `${down.join('; ')} (details in the API log)`,
        checks,
      });
    }
    return { status: 'ready', checks };
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metricsText(@Res() res: Response) {
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}

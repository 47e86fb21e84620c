import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueWorkers } from '../scheduling/queue-workers';

/** The worker has no API: a tiny HTTP server exposes /metrics and /healthz for Prometheus and probes. */
@Injectable()
export class WorkerHttpServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WorkerHttpServer.name);
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    private readonly workers: QueueWorkers,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
          (e: Error) => res.writeHead(500).end(e.message),
        );
      } else if (req.method === 'GET' && path === '/healthz') {
        const ok = this.workers.running;
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: ok ? 'ok' : 'workers not running' }));
      } else {
        res
          .writeHead(404, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }));
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      // loopback by default: metrics name GameDays, targets and experiments (WORKER_METRICS_HOST opens it)
      this.server!.listen(this.config.WORKER_PORT, this.config.WORKER_METRICS_HOST, resolve);
    });
    this.logger.log(`metrics and health on ${this.config.WORKER_METRICS_HOST}:${this.port}`);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async onModuleDestroy(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

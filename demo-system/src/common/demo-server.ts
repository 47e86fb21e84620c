import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { DemoMetrics } from './http-metrics';

export interface DemoResponse {
  status: number;
  body: string;
  contentType?: string;
}

export type RouteHandler = (url: URL, req: IncomingMessage) => Promise<DemoResponse>;

export interface DemoServerOptions {
  service: string;
  metrics: DemoMetrics;
  routes: Record<string, RouteHandler>;
}

/** Route label for a path: only known routes, so a scanner cannot blow up label cardinality. */
export function routeLabel(pathname: string, routes: readonly string[]): string {
  return routes.includes(pathname) ? pathname : 'unmatched';
}

export function createDemoServer(opts: DemoServerOptions): Server {
  const { service, metrics } = opts;
  const routes: Record<string, RouteHandler> = {
    ...opts.routes,
    '/healthz': async () => ({ status: 200, body: 'ok\n', contentType: 'text/plain' }),
    '/metrics': async () => ({
      status: 200,
      body: await metrics.registry.metrics(),
      contentType: metrics.registry.contentType,
    }),
  };
  const known = Object.keys(routes);

  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routeLabel(url.pathname, known);
    const handler = routes[url.pathname];
    const finish = (r: DemoResponse): void => {
      res.writeHead(r.status, { 'content-type': r.contentType ?? 'text/html; charset=utf-8', connection: 'close' });
      res.end(r.body);
      if (route !== '/metrics') {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.requestDuration.observe({ service, route, status: String(r.status) }, seconds);
      }
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      finish({ status: 405, body: 'method not allowed\n', contentType: 'text/plain' });
      return;
    }
    if (!handler) {
      finish({ status: 404, body: 'not found\n', contentType: 'text/plain' });
      return;
    }
    handler(url, req).then(finish, (err: unknown) => {
      log(service, 'error', 'handler failed', { route, error: String(err) });
      finish({ status: 500, body: 'internal error\n', contentType: 'text/plain' });
    });
  });
}

export function log(service: string, level: 'info' | 'error', msg: string, extra: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...extra });
  (level === 'error' ? process.stderr : process.stdout).write(line + '\n');
}

/** Listen, and close cleanly on SIGTERM/SIGINT so `docker stop` does not wait for SIGKILL. */
export function serve(
  server: Server,
  service: string,
  port: number,
  onClose: () => Promise<void> = async () => {},
): void {
  server.listen(port, '0.0.0.0', () => log(service, 'info', 'listening', { port }));
  const shutdown = (signal: string): void => {
    log(service, 'info', 'shutting down', { signal });
    server.close(() => {
      onClose().finally(() => process.exit(0));
    });
    server.closeAllConnections?.();
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

export function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return port;
}

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Buckets bracket the numbers the classic demo is about: ~20 ms healthy, ≈300 ms timeout,
// ~1 s per delayed round trip, ~6 s end to end under `netem delay 500ms 100ms`.
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.35, 0.5, 1, 2, 3, 5, 8, 13, 21];

export interface DemoMetrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'service' | 'route' | 'status'>;
}

export function createDemoMetrics(): DemoMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requestDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP requests served, by service, route and status code.',
    labelNames: ['service', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  return { registry, requestDuration };
}

export function createUpstreamTimeoutCounter(registry: Registry): Counter<'service' | 'upstream'> {
  return new Counter({
    name: 'demo_upstream_timeouts_total',
    help: 'Upstream calls abandoned because they exceeded the caller-supplied timeout.',
    labelNames: ['service', 'upstream'] as const,
    registers: [registry],
  });
}

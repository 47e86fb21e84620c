import { createDemoMetrics, createUpstreamTimeoutCounter } from '../common/http-metrics';
import { createDemoServer, envPort, serve } from '../common/demo-server';
import { handleFront } from './front.handler';
import { fetchUpstream } from './upstream.client';

const SERVICE = 'service1';
const port = envPort('PORT', 8000);
const upstreamUrl = process.env.UPSTREAM_URL ?? 'http://service2:8001/';
new URL(upstreamUrl); // fail at start-up, not on the first request, when it is malformed

const metrics = createDemoMetrics();
const timeouts = createUpstreamTimeoutCounter(metrics.registry);
const upstreamLabel = new URL(upstreamUrl).host;

const server = createDemoServer({
  service: SERVICE,
  metrics,
  routes: {
    '/': (url) =>
      handleFront(url, {
        upstreamUrl,
        fetchUpstream,
        onTimeout: () => timeouts.inc({ service: SERVICE, upstream: upstreamLabel }),
      }),
  },
});
serve(server, SERVICE, port);

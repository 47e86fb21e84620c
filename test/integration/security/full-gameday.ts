import type { JsonBody } from '../../support/harness';

/**
 * A GameDay with every field of the spec set (two experiments: a network fault with every netem
 * option and a scope, and a container fault), so a fuzzer walking it reaches every field.
 */
export function fullGameDay(name: string, at: Date): JsonBody {
  return {
    name,
    description: 'every field of the spec',
    champion: 'SRE on call',
    participants: [
      {
        name: 'alice',
        contact: 'alice@example.com',
        timezone: 'UTC',
        workingHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' },
      },
    ],
    environment: 'staging',
    mode: 'announced',
    timezone: 'UTC',
    schedule: { at: at.toISOString(), missedRunPolicy: { mode: 'run_late', deadline: '15m' } },
    blackouts: [{ name: 'freeze', timezone: 'UTC', start: '2099-12-24T00:00', end: '2099-12-26T00:00' }],
    webhooks: [{ url: 'https://hooks.example.com/services/T000/B000/secret', events: ['run.completed'] }],
    experiments: [
      {
        name: 'latency',
        hypothesis: {
          description: 'errors within 300ms',
          probes: [
            {
              name: 'front',
              url: 'http://127.0.0.1:8000/?timeout_ms=300',
              method: 'POST',
              headers: { Authorization: 'Bearer probe-secret' },
              body: '{"q":1}',
              expectedStatus: [200, 500],
              timeoutMs: 1000,
              interval: '1s',
            },
          ],
          tolerances: {
            fault: { p50Ms: 300, p95Ms: 350, p99Ms: 400, meanMs: 300, maxErrorRate: 1, minErrorRate: 0 },
            recovery: { maxDeviationRatio: 3, expectedStatus: [200], minStatusMatchRatio: 0.8 },
            minSamples: 5,
          },
        },
        load: {
          url: 'http://127.0.0.1:8000/',
          method: 'GET',
          headers: { 'X-Api-Key': 'load-secret' },
          body: 'x',
          rate: 5,
          concurrency: 2,
          timeoutMs: 2000,
        },
        fault: {
          kind: 'network',
          target: { container: 'demo-service2-1', selection: { mode: 'count', count: 1 } },
          netem: {
            delay: '500ms',
            jitter: '100ms',
            correlation: 25,
            distribution: 'normal',
            loss: { model: 'random', percent: 1, correlation: 10 },
            duplicate: 1,
            corrupt: 1,
            reorder: { percent: 5, correlation: 10, gap: 2 },
            rate: '10mbit',
            limit: 1000,
          },
          scope: { rules: [{ destinations: ['10.0.0.0/8'], ports: [5432], protocol: 'tcp' }] },
          direction: 'egress',
          device: 'eth0',
          strategy: 'sidecar',
          exclude: ['127.0.0.11/32'],
        },
        durations: { baseline: '30s', fault: '2m', recovery: '30s' },
        guardrails: [
          {
            name: 'hangs',
            metric: 'p95Ms',
            threshold: 1500,
            window: '10s',
            for: '5s',
            minSamples: 10,
            probe: 'front',
          },
        ],
      },
      {
        name: 'pause',
        hypothesis: {
          description: 'front survives',
          probes: [{ name: 'front', url: 'http://127.0.0.1:8000/', timeoutMs: 500 }],
        },
        fault: {
          kind: 'container',
          target: { labels: { 'gameday.enabled': 'true' }, selection: { mode: 'percent', percent: 50 } },
          action: 'kill',
          signal: 'SIGKILL',
        },
        durations: { baseline: '1s', fault: '1s', recovery: '1s' },
      },
    ],
  };
}

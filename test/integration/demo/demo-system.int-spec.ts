import { allPanelQueries, toPromQL } from '../../../grafana/src/panel-queries';
import { buildDemoImages, DemoStack, docker, startDemoStack, timedGet } from './demo-stack';
import { promQuery, startPrometheus, type RunningPrometheus } from '../../support/prometheus';

// The demo system on the host's Docker Engine: three real containers, then Debian's Prometheus
// scraping them, running every demo-service panel query of the committed dashboards.
// The host kernel has no sch_netem, so "service2 is slow" is produced with `docker pause`: the
// kernel still accepts service1's connection and request, and the answer never comes.

const PAGE = '<h1>Data</h1><p><table><tr><td>joe</td><td>cool</td></tr></table></p>';
let stack: DemoStack;

beforeAll(async () => {
  await buildDemoImages();
  stack = await startDemoStack();
}, 600_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function metric(url: string, line: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const hit = text.split('\n').find((l) => line.test(l));
  return hit ? Number(hit.split(' ').pop()) : 0;
}

describe('demo system containers', () => {
  it('serves the classic page through service1 → service2 → database', async () => {
    const r = await timedGet(`${stack.service1Url}/`);
    expect(r.status).toBe(200);
    expect(r.body).toBe(PAGE);
    const direct = await timedGet(`${stack.service2Url}/`);
    expect(direct.body).toBe(PAGE);
  });

  it('carries the fault opt-in label on every demo image', async () => {
    for (const name of Object.values(stack.containers)) {
      expect(await docker('inspect', '-f', '{{ index .Config.Labels "gameday.enabled" }}', name)).toBe('true');
    }
  });

  it('answers 500 within the timeout while service2 hangs, and counts it', async () => {
    const before = await metric(stack.service1Url, /^demo_upstream_timeouts_total\{/);
    await docker('pause', stack.containers.service2);
    try {
      const a = await timedGet(`${stack.service1Url}/?timeout_ms=300`);
      const b = await timedGet(`${stack.service1Url}/?pyconau-demo=true`);
      for (const r of [a, b]) {
        expect(r.status).toBe(500);
        expect(r.ms).toBeGreaterThanOrEqual(295);
        // fails fast, not when the paused upstream answers (an 800 ms bound failed in a CI rehearsal)
        expect(r.ms).toBeLessThan(2_000);
      }
    } finally {
      await docker('unpause', stack.containers.service2);
    }
    expect(await metric(stack.service1Url, /^demo_upstream_timeouts_total\{/)).toBe(before + 2);
    const after = await timedGet(`${stack.service1Url}/?timeout_ms=300`);
    expect(after.status).toBe(200);
  });

  it('without a timeout waits for a slow upstream and still returns the page', async () => {
    await docker('pause', stack.containers.service2);
    const unpause = new Promise((r) => setTimeout(r, 1500)).then(() => docker('unpause', stack.containers.service2));
    try {
      const r = await timedGet(`${stack.service1Url}/`);
      expect(r.status).toBe(200);
      expect(r.body).toBe(PAGE);
      expect(r.ms).toBeGreaterThanOrEqual(1400);
    } finally {
      await unpause;
    }
  });

  it('rejects a malformed timeout with 400 naming the field', async () => {
    const r = await timedGet(`${stack.service1Url}/?timeout_ms=soon`);
    expect(r.status).toBe(400);
    expect(r.body).toContain('timeout_ms');
  });

  it('exports the request histogram with service, route and status on both services', async () => {
    expect(
      await metric(
        stack.service1Url,
        /^http_server_request_duration_seconds_count\{service="service1",route="\/",status="200"\}/,
      ),
    ).toBeGreaterThan(0);
    expect(
      await metric(
        stack.service1Url,
        /^http_server_request_duration_seconds_count\{service="service1",route="\/",status="500"\}/,
      ),
    ).toBeGreaterThan(0);
    expect(
      await metric(
        stack.service2Url,
        /^http_server_request_duration_seconds_count\{service="service2",route="\/",status="200"\}/,
      ),
    ).toBeGreaterThan(0);
    expect((await fetch(`${stack.service2Url}/healthz`)).status).toBe(200);
  });
});

describe('demo-service dashboard queries on a real Prometheus', () => {
  let prom: RunningPrometheus | undefined;
  let base = '';

  beforeAll(async () => {
    const target = (u: string): string => new URL(u).host;
    // Same job names as grafana/prometheus/prometheus.yml; targets are the published ports.
    prom = await startPrometheus({
      'demo-service1': target(stack.service1Url),
      'demo-service2': target(stack.service2Url),
    });
    base = prom.url;

    // Traffic spread over several scrapes: healthy requests, then two timeouts while paused.
    for (let i = 0; i < 8; i++) {
      await timedGet(`${stack.service1Url}/`);
      await new Promise((r) => setTimeout(r, 400));
    }
    await docker('pause', stack.containers.service2);
    try {
      await timedGet(`${stack.service1Url}/?timeout_ms=200`);
      await new Promise((r) => setTimeout(r, 1200));
      await timedGet(`${stack.service1Url}/?timeout_ms=200`);
    } finally {
      await docker('unpause', stack.containers.service2);
    }
    for (let i = 0; i < 4; i++) {
      await timedGet(`${stack.service1Url}/?timeout_ms=300`);
      await new Promise((r) => setTimeout(r, 400));
    }
    await new Promise((r) => setTimeout(r, 2500)); // let the last samples be scraped
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
  }, 30_000);

  const demoQueries = allPanelQueries().filter((q) => q.dashboard === 'gameday-demo' && q.refId !== 'annotation');

  // The GameDay panels need a real run to have data (the lab end-to-end checks that); here every
  // expression of every dashboard must at least be valid PromQL to a real Prometheus.
  it.each(allPanelQueries().map((q) => [`${q.dashboard}: ${q.panel} [${q.refId}]`, q.expr]))(
    '%s is valid PromQL',
    async (_name, expr) => {
      await expect(promQuery(base, 'query', { query: toPromQL(expr) })).resolves.toHaveProperty('resultType');
    },
  );

  it('has demo-service panel queries to check', () => {
    expect(demoQueries.length).toBeGreaterThanOrEqual(6);
  });

  it.each(demoQueries.map((q) => [`${q.panel} [${q.refId}]`, q.expr]))('%s returns data', async (_name, expr) => {
    const end = Date.now() / 1000;
    const data = await promQuery(base, 'query_range', {
      query: toPromQL(expr, { rateInterval: '5s' }),
      start: String(end - 120),
      end: String(end),
      step: '1',
    });
    const values = data.result
      .flatMap((s) => s.values ?? [])
      .map(([, v]) => Number(v))
      .filter((v) => Number.isFinite(v));
    expect(data.result.length).toBeGreaterThan(0);
    expect(values.length).toBeGreaterThan(0);
  });
});

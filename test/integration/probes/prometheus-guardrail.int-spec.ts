import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { buildDemoImages, docker, startDemoStack, type DemoStack } from '../demo/demo-stack';
import { runEnded } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { startPrometheus, type RunningPrometheus } from '../../support/prometheus';

// The steady state stated in the metrics users already have: the demo system on the host's Docker
// Engine, Debian's Prometheus scraping service1, and a GameDay whose only probe is a PromQL query
// of service1's error ratio, with a guardrail on it. Pausing service2 makes service1 answer 500
// after its 300 ms upstream timeout; Prometheus sees the ratio rise, the guardrail aborts the run
// and the pause is reverted. The host kernel has no netem, hence a container fault.
jest.setTimeout(180_000);

const ERROR_RATIO =
  '(sum(rate(http_server_request_duration_seconds_count{job="demo-service1",status=~"5.."}[5s])) or vector(0))' +
  ' / sum(rate(http_server_request_duration_seconds_count{job="demo-service1"}[5s]))';

describe('prometheus probes and guardrails on a real Prometheus', () => {
  // the API and worker need Prometheus's address: started by this file's beforeAll
  const gameday = useStack({ name: 'promprobe', api: false });
  const { prisma } = gameday;
  let stack: DemoStack;
  let prom: RunningPrometheus;

  beforeAll(async () => {
    await buildDemoImages();
    stack = await startDemoStack('dev', { optIn: true });
    prom = await startPrometheus({ 'demo-service1': new URL(stack.service1Url).host });
    const config = gameday.newConfig({ GAMEDAY_PROMETHEUS_URL: prom.url });
    await gameday.startApi(config);
    await gameday.startWorker('real', config);
  }, 600_000);

  afterAll(async () => {
    await prom?.stop();
    await stack?.stop();
  }, 60_000);

  const gameDay = (probe: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: `prometheus-${randomUUID()}`,
    timezone: 'UTC',
    schedule: { at: new Date(Date.now() + 60 * 60_000).toISOString() },
    experiments: [
      {
        name: 'service2 stops answering',
        hypothesis: {
          description: "service1's error ratio stays under 5 % while service2 is paused",
          probes: [
            { kind: 'prometheus', name: 'error-ratio', query: ERROR_RATIO, max: 0.05, interval: '1s', ...probe },
          ],
        },
        load: { url: `${stack.service1Url}/?timeout_ms=300`, rate: 10, concurrency: 4, timeoutMs: 2_000 },
        fault: { kind: 'container', target: { container: stack.containers.service2 }, action: 'pause' },
        durations: { arming: '1s', baseline: '12s', fault: '40s', recovery: '5s' },
        guardrails: [
          {
            name: 'errors',
            probe: 'error-ratio',
            metric: 'value',
            threshold: 0.5,
            window: '10s',
            for: '2s',
            minSamples: 1,
          },
        ],
        ...extra,
      },
    ],
  });

  it('refuses PromQL that does not parse, naming the field', async () => {
    const res = await gameday.http
      .post('/api/v1/gamedays')
      .set(gameday.admin)
      .send(gameDay({ query: 'sum(rate(http_server_request_duration_seconds_count[5s])' }));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([
      { field: 'experiments[0].hypothesis.probes[0].query', message: expect.stringMatching(/^is not valid PromQL/) },
    ]);
  });

  it('refuses prometheus probes where no Prometheus is configured', async () => {
    const bare = await gameday.startApi(gameday.newConfig());
    const res = await request(bare.getHttpServer()).post('/api/v1/gamedays').set(gameday.admin).send(gameDay({}));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        field: 'experiments[0].hypothesis.probes[0].kind',
        message: expect.stringContaining('GAMEDAY_PROMETHEUS_URL'),
      },
    ]);
  });

  it("aborts and reverts when the guardrail on service1's error ratio is breached, with the values stored", async () => {
    const created = await gameday.http.post('/api/v1/gamedays').set(gameday.admin).send(gameDay({}));
    expect(created.status).toBe(201);
    gameday.gameDayIds.push(created.body.id);
    const started = await gameday.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(gameday.admin).send({});
    expect(started.status).toBe(201);
    const runId = started.body.id as string;

    const run = await runEnded(prisma, runId, 120_000, 250);
    expect(run.error).toBeNull();
    expect(run.status).toBe('aborted');
    expect(run.abortReason).toMatch(/^guardrail "errors": value \d/);
    expect((await docker('inspect', '-f', '{{.State.Paused}}', stack.containers.service2)).trim()).toBe('false');

    // the abort event is appended once the revert is done
    const abort = run.events.find((e) => e.type === 'run.abort')!;
    const applied = run.events.find((e) => e.type === 'fault.applied')!;
    expect(applied).toBeDefined();
    expect(abort).toBeDefined();
    // the guardrail ended the fault well before its planned 40 s
    const faultMs = abort.at.getTime() - applied.at.getTime();
    const latency = (abort.data as { abortLatencyMs?: number } | null)?.abortLatencyMs;
    console.log(`prometheus guardrail: fault lasted ${faultMs} ms of 40 000; abort latency ${latency} ms`);
    expect(latency).toBeLessThan(5_000);
    expect(faultMs).toBeLessThan(30_000);

    const samples = await prisma.probeSample.findMany({
      where: { runId, probe: 'error-ratio' },
      orderBy: { at: 'asc' },
    });
    const baseline = samples.filter((s) => s.phase === 'baseline');
    const fault = samples.filter((s) => s.phase === 'fault');
    const show = (list: typeof samples) =>
      list.map((s) => `${s.ok ? 'ok' : s.errorKind} ${s.value === null ? '-' : s.value.toFixed(3)}`).join(', ');
    console.log(`error ratio evaluations: baseline ${show(baseline)}; fault ${show(fault)}`);
    expect(baseline.length).toBeGreaterThanOrEqual(8);
    // the baseline was healthy: the first loaded requests open service2's database connections and
    // a busy host can hold one of service2's answers past service1's 300 ms upstream timeout (seen in
    // CI: 0.12 for a few seconds), so single evaluations may exceed the 5 % tolerance, but most are
    // within it and none comes near the guardrail's threshold: the fault, not the baseline, broke it
    const valued = baseline.filter((s) => s.value !== null);
    expect(valued.filter((s) => s.ok && s.value! <= 0.05).length).toBeGreaterThan(valued.length / 2);
    expect(valued.every((s) => s.value! < 0.5)).toBe(true);
    // the breach is in the stored evidence: values above the threshold, recorded as out of range
    expect(fault.some((s) => s.value !== null && s.value > 0.5 && s.errorKind === 'out_of_range')).toBe(true);
  });
});

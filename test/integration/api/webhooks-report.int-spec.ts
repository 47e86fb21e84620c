import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { runEnded, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// Real runs (API + worker + BullMQ + Postgres + Docker, a container pause fault on a busybox
// httpd target, as in the runner's lifecycle test) observed from outside: a real HTTP server
// receives the webhooks, and the report of the finished run is read through the API.
jest.setTimeout(120_000);

const docker = new Docker();
const suffix = randomUUID().slice(0, 8);
const TARGET = `gd-webhook-target-${suffix}`;

interface Received {
  path: string;
  at: number;
  body: { event: string; runId: string; gameDay: string; text: string; details: Record<string, unknown>; at: string };
}

describe('webhooks and the report of a real run', () => {
  const stack = useStack({ name: 'webhooks', worker: 'real', users: ['viewer'] });
  const { prisma } = stack;
  const received: Received[] = [];
  let hooks: Server;
  let hookBase = '';
  let targetUrl = '';

  beforeAll(async () => {
    hooks = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        const at = Date.now();
        if (req.url === '/broken') {
          res.writeHead(500).end();
          return;
        }
        try {
          received.push({ path: req.url ?? '', at, body: JSON.parse(data) });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    hookBase = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;

    const image = await ensureLabTargetImage(docker);
    const c = await docker.createContainer({ name: TARGET, Image: image, Labels: { 'gameday.enabled': 'true' } });
    await c.start();
    targetUrl = `http://${(await c.inspect()).NetworkSettings.Networks.bridge.IPAddress}/`;
  });

  afterAll(async () => {
    await new Promise((r) => hooks?.close(r));
    await docker
      .getContainer(TARGET)
      .remove({ force: true })
      .catch(() => undefined);
  });

  const ALL_EVENTS = ['run.started', 'fault.injected', 'fault.reverted', 'run.completed', 'run.aborted', 'run.failed'];

  function spec(path: string, mode: 'announced' | 'blind', extraHooks: { url: string; events: string[] }[] = []) {
    return {
      name: `webhooks-${mode}-${randomUUID()}`,
      timezone: 'UTC',
      mode,
      schedule: { at: new Date(Date.now() + 3600_000).toISOString() },
      webhooks: [{ url: `${hookBase}${path}`, events: ALL_EVENTS }, ...extraHooks],
      experiments: [
        {
          name: 'pause the target',
          hypothesis: {
            description: 'the target fails while paused and is back right after',
            probes: [{ name: 'target', url: targetUrl, timeoutMs: 300, interval: '100ms' }],
            tolerances: { fault: { minErrorRate: 0.8 }, recovery: { maxErrorRate: 0.2 } },
          },
          fault: { kind: 'container', target: { container: TARGET }, action: 'pause' },
          // 5 s for arming: beside CI's other lanes a pause armed in over 3 s
          durations: { arming: '5s', baseline: '2s', fault: '3s', recovery: '2s' },
        },
      ],
    };
  }

  async function runNow(body: Record<string, unknown>) {
    const created = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body);
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);
    const started = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin).send({});
    expect(started.status).toBe(201);
    return { gameDayId: created.body.id as string, runId: started.body.id as string };
  }

  const finished = (runId: string) => runEnded(prisma, runId);

  const hooksFor = (path: string) => received.filter((r) => r.path === path);

  it('posts Slack-compatible JSON at start, injection, revert and completion; a failing hook is recorded, not fatal', async () => {
    const path = `/announced-${randomUUID().slice(0, 8)}`;
    const { runId } = await runNow(spec(path, 'announced', [{ url: `${hookBase}/broken`, events: ['run.completed'] }]));
    const run = await finished(runId);
    expect(run.status).toBe('completed');
    expect(run.verdict).toBe('hypothesis_held');
    const got = await waitFor(
      'the completion webhook',
      async () => (hooksFor(path).some((h) => h.body.event === 'run.completed') ? hooksFor(path) : null),
      5_000,
    );

    expect(got.map((h) => h.body.event)).toEqual(['run.started', 'fault.injected', 'fault.reverted', 'run.completed']);
    for (const h of got) {
      expect(h.body.runId).toBe(runId);
      expect(typeof h.body.text).toBe('string');
      expect(h.body.text).toContain(`GameDay "${h.body.gameDay}"`);
    }
    const [, injected, reverted, completed] = got;
    expect(injected.body.details.targets).toEqual([TARGET]);
    expect(injected.body.text).toContain(TARGET);
    expect(completed.body.details.verdict).toBe('hypothesis_held');
    expect(completed.body.text).toContain('hypothesis_held');
    // sent after the fact they announce, while it was still true
    const applied = run.events.find((e) => e.type === 'fault.applied')!;
    const revertedEvent = run.events.find((e) => e.type === 'fault.reverted')!;
    expect(injected.at).toBeGreaterThanOrEqual(applied.at.getTime());
    expect(injected.at).toBeLessThan(revertedEvent.at.getTime());
    expect(reverted.at).toBeGreaterThanOrEqual(revertedEvent.at.getTime());
    // the completion hooks go out after the run is marked completed: wait for the failure record
    const failed = await waitFor(
      'the failed webhook on the timeline',
      async () => {
        const rows = await prisma.runEvent.findMany({ where: { runId, type: 'webhook.failed' } });
        return rows.length > 0 ? rows : null;
      },
      5_000,
    );
    expect(failed).toHaveLength(1);
    expect(failed[0].message).toMatch(/run\.completed: HTTP 500/);

    // the report of this run: every sample on the chart, windows where the plan put them
    const samples = await prisma.probeSample.count({ where: { runId } });
    expect(samples).toBeGreaterThan(30);
    const html = await stack.http.get(`/api/v1/runs/${runId}/report`).set(stack.as('viewer'));
    expect(html.status).toBe(200);
    expect(html.text.match(/<circle class="pt/g)).toHaveLength(samples);
    expect(html.text.match(/class="pt err"/g)!.length).toBeGreaterThan(10);
    for (const w of ['baseline', 'fault', 'recovery']) expect(html.text).toContain(`data-window="${w}"`);
    expect(html.text).toContain('data-event="fault.applied"');
    expect(html.text).toContain('data-event="fault.reverted"');
    expect(html.text).toContain('hypothesis_held');
    expect(html.text).toMatch(/docker[^<]*pause/);
    const md = await stack.http
      .get(`/api/v1/runs/${runId}/report`)
      .set(stack.as('viewer'))
      .set('Accept', 'text/markdown');
    const result = run.result as { experiments: { stats: Record<string, { count: number; errors: number }> }[] };
    const fault = result.experiments[0].stats.fault;
    expect(md.text).toContain(`| fault | ${fault.count} | ${fault.errors} |`);
    expect(md.text).toContain(`- Probe samples: ${samples}`);
  });

  it('announces an emergency stop (the revert, then run.aborted), and the report marks the abort', async () => {
    const path = `/aborted-${randomUUID().slice(0, 8)}`;
    const body = spec(path, 'announced');
    body.experiments[0].durations = { arming: '5s', baseline: '1s', fault: '30s', recovery: '1s' };
    const { runId } = await runNow(body);
    await waitFor(
      'the injection webhook',
      async () => hooksFor(path).some((h) => h.body.event === 'fault.injected') || null,
      30_000,
      20,
    );
    expect(
      (await stack.http.post(`/api/v1/runs/${runId}/abort`).set(stack.admin).send({ reason: 'checkout errors' }))
        .status,
    ).toBe(202);
    const run = await finished(runId);
    expect(run.status).toBe('aborted');
    const got = await waitFor(
      'the abort webhook',
      async () => (hooksFor(path).some((h) => h.body.event === 'run.aborted') ? hooksFor(path) : null),
      5_000,
    );
    expect(got.map((h) => h.body.event)).toEqual(['run.started', 'fault.injected', 'fault.reverted', 'run.aborted']);
    expect(got[2].body.details).toMatchObject({ reason: 'checkout errors' });
    const aborted = got[3].body;
    expect(aborted.details).toMatchObject({ verdict: 'aborted', reason: 'checkout errors' });
    expect(aborted.text).toContain('checkout errors');

    const html = (await stack.http.get(`/api/v1/runs/${runId}/report`).set(stack.admin)).text;
    expect(html).toContain('data-event="run.abort"');
    expect(html).toContain('<strong>Aborted:</strong> checkout errors');
    expect(html).toMatch(/abort latency<\/th>/);
  });

  it('keeps targets and the experiment out of blind webhooks and viewer reports until the run ends', async () => {
    const path = `/blind-${randomUUID().slice(0, 8)}`;
    const body = spec(path, 'blind');
    const { runId } = await runNow(body);
    const asViewer = stack.as('viewer');
    // while the fault is on: the viewer's report and run view hide the fault
    await waitFor(
      'the injection webhook',
      async () => hooksFor(path).some((h) => h.body.event === 'fault.injected') || null,
      30_000,
      20,
    );
    const during = await stack.http.get(`/api/v1/runs/${runId}/report`).set(asViewer);
    expect(during.status).toBe(200);
    expect(during.text).toContain('Blind GameDay');
    expect(during.text).not.toContain(TARGET);
    expect(during.text).not.toMatch(/docker[^<]*pause/);
    const view = await stack.http.get(`/api/v1/runs/${runId}`).set(asViewer);
    expect(JSON.stringify(view.body)).not.toContain(TARGET);

    const run = await finished(runId);
    expect(run.status).toBe('completed');
    const got = await waitFor(
      'the completion webhook',
      async () => (hooksFor(path).some((h) => h.body.event === 'run.completed') ? hooksFor(path) : null),
      5_000,
    );
    expect(got.map((h) => h.body.event)).toEqual(['run.started', 'fault.injected', 'fault.reverted', 'run.completed']);
    for (const h of got.slice(0, 3)) {
      expect(JSON.stringify(h.body)).not.toContain(TARGET);
      expect(JSON.stringify(h.body)).not.toContain('pause the target');
      expect(h.body.details).not.toHaveProperty('targets');
      expect(h.body.details).not.toHaveProperty('experiment');
    }
    expect(got[3].body.details.verdict).toBe('hypothesis_held');
    // the run is over: the viewer sees everything
    const after = await stack.http.get(`/api/v1/runs/${runId}/report`).set(asViewer);
    expect(after.text).toContain(TARGET);
    expect(after.text).not.toContain('Blind GameDay');
  });
});

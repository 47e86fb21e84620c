import { buildEgressPolicy, type LocalAddresses, parseCidr, type Sample } from '@gameday/core';
import { EgressGuard, LoadGenerator, ProbeLoop, postWebhook, probeOnce } from '@gameday/probes';
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { type JsonBody, minimalGameDay, runEnded, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

/**
 * The egress policy: probes, load and webhooks go only where it allows. Checked at create/edit
 * (400 naming the field) and again when each request is sent (recorded as egress_denied, never
 * sent); names are resolved once and the connection goes to the checked address.
 */
describe('security: egress policy', () => {
  const marker = `sec-egress-${randomUUID().slice(0, 8)}`;
  const stack = useStack({ name: 'sec-egress', api: false, marker });
  const { prisma } = stack;
  const servers: http.Server[] = [];

  /** an API of its own (own queue prefix) with this egress configuration */
  async function api(extra: Record<string, string> = {}) {
    return request((await stack.startApi(stack.newConfig(extra))).getHttpServer());
  }

  /** A loopback server counting the requests it receives. */
  async function server(handler?: http.RequestListener): Promise<{ port: number; hits: () => number }> {
    let hits = 0;
    const s = http.createServer((req, res) => {
      hits++;
      if (handler) handler(req, res);
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    return { port: (s.address() as AddressInfo).port, hits: () => hits };
  }

  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  const inAWeek = () => new Date(Date.now() + 7 * 24 * 3600_000);
  const body = (mutate: (b: JsonBody) => void = () => undefined) => {
    const b = minimalGameDay(inAWeek(), { name: `${marker} ${randomUUID()}` });
    mutate(b);
    return b;
  };
  const probe = (b: JsonBody) => b.experiments[0].hypothesis.probes[0];
  const load = (url: string) => ({ url, rate: 1, concurrency: 1 });
  const rows = () => prisma.gameDay.count({ where: { name: { startsWith: marker } } });

  const denied: [string, (b: JsonBody) => void, string][] = [
    [
      'cloud metadata',
      (b) => (probe(b).url = 'http://169.254.169.254/latest/meta-data/'),
      'experiments[0].hypothesis.probes[0].url',
    ],
    [
      'metadata as IPv4-mapped IPv6',
      (b) => (probe(b).url = 'http://[::ffff:169.254.169.254]/'),
      'experiments[0].hypothesis.probes[0].url',
    ],
    [
      'metadata as a decimal host',
      (b) => (probe(b).url = 'http://2852039166/'),
      'experiments[0].hypothesis.probes[0].url',
    ],
    ['IPv6 link-local', (b) => (probe(b).url = 'http://[fe80::1]/'), 'experiments[0].hypothesis.probes[0].url'],
    [
      'a Docker Engine API',
      (b) => (b.experiments[0].load = load('http://127.0.0.1:2375/containers/json')),
      'experiments[0].load.url',
    ],
    [
      'Docker API over TLS elsewhere',
      (b) => (b.experiments[0].load = load('https://10.9.8.7:2376/')),
      'experiments[0].load.url',
    ],
    [
      "GameDay's own API port",
      (b) => (b.webhooks = [{ url: 'http://127.0.0.1:8080/api/v1/abort-all', events: ['run.started'] }]),
      'webhooks[0].url',
    ],
    ["GameDay's Postgres", (b) => (probe(b).url = 'http://localhost:5432/'), 'experiments[0].hypothesis.probes[0].url'],
    ["GameDay's Redis", (b) => (probe(b).url = 'http://127.0.0.1:6379/'), 'experiments[0].hypothesis.probes[0].url'],
    [
      'a Host header override',
      (b) => (probe(b).headers = { Host: 'metadata.google.internal' }),
      'experiments[0].hypothesis.probes[0].headers.Host',
    ],
  ];

  it.each(denied)('create: %s → 400 naming the field, no row', async (_label, mutate, field) => {
    const http = await api();
    const res = await http.post('/api/v1/gamedays').set(stack.admin).send(body(mutate));
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ field }));
    expect(await rows()).toBe(0);
  });

  it('loopback in general stays allowed (the demo on :8000); an edit to a denied URL is a 400 and changes nothing', async () => {
    const http = await api();
    const created = await http.post('/api/v1/gamedays').set(stack.admin).send(body());
    expect(created.status).toBe(201);
    const experiments = created.body.spec.experiments;
    experiments[0].hypothesis.probes[0].url = 'http://169.254.169.254/';
    const patched = await http.patch(`/api/v1/gamedays/${created.body.id}`).set(stack.admin).send({ experiments });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toContainEqual(
      expect.objectContaining({ field: 'experiments[0].hypothesis.probes[0].url' }),
    );
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.version).toBe(1);
  });

  it('GAMEDAY_EGRESS_ALLOW narrows to an allow-list; GAMEDAY_EGRESS_ALLOW_DENIED re-allows one denied target', async () => {
    const narrow = await api({ GAMEDAY_EGRESS_ALLOW: '10.0.0.0/8,service1:8000' });
    const refused = await narrow.post('/api/v1/gamedays').set(stack.admin).send(body());
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]).toMatchObject({
      field: 'experiments[0].hypothesis.probes[0].url',
      message: expect.stringContaining('GAMEDAY_EGRESS_ALLOW'),
    });
    const ok = await narrow
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(body((b) => (probe(b).url = 'http://10.1.2.3:8000/')));
    expect(ok.status).toBe(201);

    const reopened = await api({ GAMEDAY_EGRESS_ALLOW_DENIED: '169.254.169.254:80' });
    const meta = (b: JsonBody) => (probe(b).url = 'http://169.254.169.254/latest/meta-data/');
    expect((await reopened.post('/api/v1/gamedays').set(stack.admin).send(body(meta))).status).toBe(201);
    const other = (b: JsonBody) => (probe(b).url = 'http://169.254.1.1/');
    expect((await reopened.post('/api/v1/gamedays').set(stack.admin).send(body(other))).status).toBe(400);
  });

  it('at request time a denied probe is recorded as egress_denied and never sent', async () => {
    const target = await server();
    const guard = EgressGuard.fromConfig({ GAMEDAY_EGRESS_DENY: `127.0.0.1:${target.port}` });
    const sample = await probeOnce({ name: 'p', url: `http://127.0.0.1:${target.port}/`, timeoutMs: 1000 }, guard);
    expect(sample).toMatchObject({ ok: false, errorKind: 'egress_denied' });

    const samples: Sample[] = [];
    const loop = new ProbeLoop([{ name: 'p', url: `http://localhost:${target.port}/`, timeoutMs: 500 }], {
      intervalMs: 50,
      onSample: (_n, s) => samples.push(s),
      egress: guard,
    });
    loop.start();
    const loadSamples: Sample[] = [];
    const gen = new LoadGenerator(
      { url: `http://127.0.0.1:${target.port}/`, rate: 50, concurrency: 2, timeoutMs: 500 },
      (s) => loadSamples.push(s),
      guard,
    );
    gen.start();
    await new Promise((r) => setTimeout(r, 300));
    await loop.stop();
    await gen.stop();
    expect(samples.length).toBeGreaterThan(1);
    expect(samples.every((s) => s.errorKind === 'egress_denied')).toBe(true);
    expect(loadSamples).toEqual([expect.objectContaining({ ok: false, errorKind: 'egress_denied' })]);
    expect(target.hits()).toBe(0);
  });

  it('a name is resolved once and the connection goes to the checked address (no rebinding)', async () => {
    const target = await server();
    let answers = 0;
    // the first answer is checked; any later answer (a rebinding attacker's) must not be used
    const guard = EgressGuard.fromConfig({}, async () =>
      answers++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '169.254.169.254', family: 4 }],
    );
    const sample = await probeOnce({ name: 'p', url: `http://rebind.invalid:${target.port}/`, timeoutMs: 2000 }, guard);
    expect(sample).toMatchObject({ ok: true, status: 200 });
    expect(target.hits()).toBe(1);
    // and the next check sees the rebound answer and refuses it
    const next = await probeOnce({ name: 'p', url: `http://rebind.invalid:${target.port}/`, timeoutMs: 2000 }, guard);
    expect(next).toMatchObject({ ok: false, errorKind: 'egress_denied' });
    expect(target.hits()).toBe(1);
  });

  it('load through a name connects to the checked address with the original Host', async () => {
    let host = '';
    const target = await server((req, res) => {
      host = req.headers.host ?? '';
      res.writeHead(200).end('ok');
    });
    const guard = EgressGuard.fromConfig({}, async () => [{ address: '127.0.0.1', family: 4 }]);
    const samples: Sample[] = [];
    const gen = new LoadGenerator(
      { url: `http://svc.invalid:${target.port}/`, rate: 20, concurrency: 1, timeoutMs: 1000 },
      (s) => samples.push(s),
      guard,
    );
    gen.start();
    await new Promise((r) => setTimeout(r, 400));
    await gen.stop();
    expect(samples.some((s) => s.ok)).toBe(true);
    expect(host).toBe(`svc.invalid:${target.port}`);
  });

  it('webhooks follow no redirects and are checked like probes', async () => {
    const inner = await server();
    const redirecting = await server((_req, res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${inner.port}/` }).end(),
    );
    const guard = EgressGuard.fromConfig({ GAMEDAY_EGRESS_DENY: `127.0.0.1:${inner.port}` });
    await expect(postWebhook(`http://127.0.0.1:${redirecting.port}/hook`, '{}', guard, 1000)).rejects.toThrow(
      /redirects are not followed/,
    );
    expect(redirecting.hits()).toBe(1);
    await expect(postWebhook(`http://127.0.0.1:${inner.port}/hook`, '{}', guard, 1000)).rejects.toThrow(/denied/);
    expect(inner.hits()).toBe(0);
  });
});

/**
 * GameDay's own ports on an address this host gets after the API and worker started: a bridge
 * that is never set up (like docker0 before its first container) is left out of the interface
 * list, yet its address is delivered locally. A real run, its webhooks and a new GameDay aimed at
 * the API port on that address are refused when sent; a listener there proves nothing arrived.
 */
describe("security: GameDay's own ports on an address that appears after start", () => {
  jest.setTimeout(120_000);
  const stack = useStack({ name: 'sec-egress-own', api: false });
  const { prisma } = stack;
  const docker = new Docker();
  const suffix = randomUUID().slice(0, 8);
  const bridge = `gdeg${suffix}`;
  const target = `gd-egress-target-${suffix}`;
  const listeners: http.Server[] = [];
  let bridged = false;
  let address = '';
  let ownPort = 0;
  let targetUrl = '';

  /** A 10.250.x.0/24 this machine does not use (its routes and addresses, up or down). */
  function unusedSubnet(): number {
    const used = readFileSync('/proc/net/fib_trie', 'utf8');
    for (;;) {
      const x = randomInt(1, 255);
      if (!used.includes(`10.250.${x}.`)) return x;
    }
  }

  /** A port free on loopback now: the API's PORT of this test (the API itself does not listen). */
  async function freePort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    await new Promise((r) => s.close(r));
    return port;
  }

  /** Listens on address:port counting every connection (a refused request makes none). */
  async function listen(port: number): Promise<{ connections: () => number; requests: () => number }> {
    let connections = 0;
    let requests = 0;
    const s = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200).end('ok');
    });
    s.on('connection', () => connections++);
    await new Promise<void>((r) => s.listen(port, address, r));
    listeners.push(s);
    return { connections: () => connections, requests: () => requests };
  }

  beforeAll(async () => {
    address = `10.250.${unusedSubnet()}.1`;
    ownPort = await freePort();
    const image = await ensureLabTargetImage(docker);
    const c = await docker.createContainer({ name: target, Image: image, Labels: { 'gameday.enabled': 'true' } });
    await c.start();
    targetUrl = `http://${(await c.inspect()).NetworkSettings.Networks.bridge.IPAddress}/`;
    const config = stack.newConfig({ PORT: String(ownPort) });
    await stack.startApi(config);
    await stack.startWorker('real', config);
  });

  /** The bridge and listeners gone, and the API's and worker's reads of this host's addresses with them. */
  async function removeBridge() {
    try {
      execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    } catch {
      // never created (a failure before it)
    }
    for (const s of listeners.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    // a retry must find the address nobody's again, as the first attempt did (they refresh each second)
    if (bridged) await new Promise((r) => setTimeout(r, 1_100));
    bridged = false;
  }
  afterEach(removeBridge);
  stack.beforeClose(removeBridge);

  afterAll(() =>
    docker
      .getContainer(target)
      .remove({ force: true })
      .catch(() => undefined),
  );

  /** The bridge, down, with `address`: local to the kernel, absent from the interface list. */
  function addDownBridge() {
    if (bridged) return;
    bridged = true;
    execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `${address}/24`, 'dev', bridge]);
    expect(execFileSync('ip', ['-br', 'link', 'show', bridge], { encoding: 'utf8' })).toMatch(/DOWN/);
  }

  const spec = (own: string) => ({
    name: `sec-egress-own-${randomUUID()}`,
    timezone: 'UTC',
    schedule: { at: new Date(Date.now() + 3600_000).toISOString() },
    webhooks: [{ url: `${own}hook`, events: ['run.started', 'run.completed', 'run.failed', 'run.aborted'] }],
    experiments: [
      {
        name: 'pause the target',
        hypothesis: {
          description: 'GameDay measures its own API',
          probes: [
            { name: 'own', url: own, timeoutMs: 500, interval: '200ms' },
            { name: 'target', url: targetUrl, timeoutMs: 500, interval: '200ms' },
          ],
        },
        load: { url: own, rate: 5, concurrency: 1 },
        fault: { kind: 'container', target: { container: target }, action: 'pause' },
        // arming (a helper container) must finish within the baseline on a busy machine
        durations: { arming: '0s', baseline: '6s', fault: '2s', recovery: '2s' },
      },
    ],
  });

  it('probes, load and webhooks of a run are refused at send time and recorded; a new GameDay gets a 400', async () => {
    const own = `http://${address}:${ownPort}/`;
    const http = stack.http;
    // before the address exists it is nobody's: the GameDay is accepted (nothing is sent)
    const created = await http.post('/api/v1/gamedays').set(stack.admin).send(spec(own));
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);

    addDownBridge();
    const ours = await listen(ownPort);
    // the worker and API started before it; their reads of this host's addresses are refreshed
    await new Promise((r) => setTimeout(r, 1_100));

    const started = await http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin).send({});
    expect(started.status).toBe(201);
    const run = await runEnded(prisma, started.body.id);
    const samples = await prisma.probeSample.findMany({ where: { runId: run.id, probe: 'own' } });
    expect(samples.length).toBeGreaterThan(5);
    expect(samples.every((s) => !s.ok && s.errorKind === 'egress_denied')).toBe(true);
    // the other probe measured as usual
    expect(await prisma.probeSample.count({ where: { runId: run.id, probe: 'target', ok: true } })).toBeGreaterThan(0);
    const failed = await waitFor('the refused webhooks on the timeline', async () => {
      const rows = await prisma.runEvent.findMany({ where: { runId: run.id, type: 'webhook.failed' } });
      return rows.length >= 2 ? rows : null;
    });
    for (const row of failed)
      expect(row.message).toContain(`GameDay's own API (port ${ownPort} on an address of this host)`);

    // the load (refused before its first request) and a probe straight from the worker's guard
    const guard = stack.worker.get(EgressGuard);
    const loadSamples: Sample[] = [];
    const load = new LoadGenerator(
      { url: own, rate: 20, concurrency: 1, timeoutMs: 500 },
      (s) => loadSamples.push(s),
      guard,
    );
    load.start();
    await load.started;
    await load.stop();
    expect(loadSamples).toEqual([expect.objectContaining({ ok: false, errorKind: 'egress_denied' })]);
    expect(await probeOnce({ name: 'p', url: own, timeoutMs: 500 }, guard)).toMatchObject({
      ok: false,
      errorKind: 'egress_denied',
    });

    // the API refuses the same GameDay now, naming each field
    const again = await http.post('/api/v1/gamedays').set(stack.admin).send(spec(own));
    expect(again.status).toBe(400);
    expect(again.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'experiments[0].hypothesis.probes[0].url',
      'experiments[0].load.url',
      'webhooks[0].url',
    ]);
    expect(ours.connections()).toBe(0);
  });

  it('a running load is stopped within a second when its address becomes one of this host', async () => {
    // this host's addresses as a provider the test switches: the address is not ours, then it is
    let local: LocalAddresses = { ranges: [], complete: true };
    addDownBridge();
    const port = await freePort();
    const guard = new EgressGuard(buildEgressPolicy({ apiPort: port }), undefined, async () => local);
    const there = await listen(port);
    const samples: Sample[] = [];
    const load = new LoadGenerator(
      { url: `http://${address}:${port}/`, rate: 50, concurrency: 2, timeoutMs: 500 },
      (s) => samples.push(s),
      guard,
    );
    try {
      load.start();
      await waitFor('the load to reach the listener', async () => there.connections() > 0 && samples.some((s) => s.ok));
      local = { ranges: [parseCidr(`${address}/32`)!], complete: true };
      await waitFor('the load to be refused', async () => samples.some((s) => s.errorKind === 'egress_denied'), 3_000);
      // requests already on the wire may land; then nothing more (at 50/s, 35 in 700 ms)
      await new Promise((r) => setTimeout(r, 100));
      const received = there.requests();
      await new Promise((r) => setTimeout(r, 700));
      expect(there.requests()).toBe(received);
    } finally {
      await load.stop();
    }
  });
});

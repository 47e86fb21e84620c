import type { INestApplication } from '@nestjs/common';
import type { Sample } from '@gameday/core';
import { EgressGuard, LoadGenerator, ProbeLoop, postWebhook, probeOnce } from '@gameday/probes';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  ADMIN_TOKEN,
  type JsonBody,
  deleteQueueKeys,
  minimalGameDay,
  startApi,
  testConfig,
  testPrisma,
} from '../../support/harness';

/**
 * The egress policy: probes, load and webhooks go only where it allows. Checked at create/edit
 * (400 naming the field) and again when each request is sent (recorded as egress_denied, never
 * sent); names are resolved once and the connection goes to the checked address.
 */
describe('security: egress policy', () => {
  const prisma = testPrisma();
  const marker = `sec-egress-${randomUUID().slice(0, 8)}`;
  const prefixes: string[] = [];
  const apps: INestApplication[] = [];
  const servers: http.Server[] = [];
  const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  async function api(extra: Record<string, string> = {}) {
    const config = testConfig('sec-egress', extra);
    prefixes.push(config.QUEUE_PREFIX);
    const app = await startApi(config);
    apps.push(app);
    return request(app.getHttpServer());
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
    for (const app of apps) await app.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await prisma.gameDay.deleteMany({ where: { name: { startsWith: marker } } });
    await prisma.$disconnect();
    for (const p of prefixes) await deleteQueueKeys({ REDIS_URL: process.env.REDIS_URL!, QUEUE_PREFIX: p });
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
    const res = await http.post('/api/v1/gamedays').set(auth).send(body(mutate));
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ field }));
    expect(await rows()).toBe(0);
  });

  it('loopback in general stays allowed (the demo on :8000); an edit to a denied URL is a 400 and changes nothing', async () => {
    const http = await api();
    const created = await http.post('/api/v1/gamedays').set(auth).send(body());
    expect(created.status).toBe(201);
    const experiments = created.body.spec.experiments;
    experiments[0].hypothesis.probes[0].url = 'http://169.254.169.254/';
    const patched = await http.patch(`/api/v1/gamedays/${created.body.id}`).set(auth).send({ experiments });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toContainEqual(
      expect.objectContaining({ field: 'experiments[0].hypothesis.probes[0].url' }),
    );
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.version).toBe(1);
  });

  it('GAMEDAY_EGRESS_ALLOW narrows to an allow-list; GAMEDAY_EGRESS_ALLOW_DENIED re-allows one denied target', async () => {
    const narrow = await api({ GAMEDAY_EGRESS_ALLOW: '10.0.0.0/8,service1:8000' });
    const refused = await narrow.post('/api/v1/gamedays').set(auth).send(body());
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]).toMatchObject({
      field: 'experiments[0].hypothesis.probes[0].url',
      message: expect.stringContaining('GAMEDAY_EGRESS_ALLOW'),
    });
    const ok = await narrow
      .post('/api/v1/gamedays')
      .set(auth)
      .send(body((b) => (probe(b).url = 'http://10.1.2.3:8000/')));
    expect(ok.status).toBe(201);

    const reopened = await api({ GAMEDAY_EGRESS_ALLOW_DENIED: '169.254.169.254:80' });
    const meta = (b: JsonBody) => (probe(b).url = 'http://169.254.169.254/latest/meta-data/');
    expect((await reopened.post('/api/v1/gamedays').set(auth).send(body(meta))).status).toBe(201);
    const other = (b: JsonBody) => (probe(b).url = 'http://169.254.1.1/');
    expect((await reopened.post('/api/v1/gamedays').set(auth).send(body(other))).status).toBe(400);
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

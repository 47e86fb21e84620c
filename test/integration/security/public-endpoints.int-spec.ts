import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from '@gameday/config';
import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import request from 'supertest';
import { WorkerHttpServer } from '../../../apps/worker/src/http/worker-http.server';
import { ADMIN_TOKEN } from '../../support/harness';
import { bearer, useStack } from '../../support/stack.fixture';

/**
 * Tokens and public endpoints: a rate limit per address and per token (429 problem+json with
 * Retry-After), optional token expiry, /readyz without driver error text, the worker's /metrics
 * on loopback unless configured otherwise.
 */
describe('security: tokens and public endpoints', () => {
  const marker = `sec-public-${randomUUID().slice(0, 8)}`;
  const stack = useStack({ name: 'sec-public', api: false, marker });
  const { prisma } = stack;
  const auth = (token = ADMIN_TOKEN) => bearer(token);

  /** an API of its own (own queue prefix) with this configuration; `down` points it elsewhere */
  function api(extra: Record<string, string> = {}, down: Partial<AppConfig> = {}): Promise<INestApplication> {
    return stack.startApi({ ...stack.newConfig(extra), ...down });
  }

  it('an address over its budget gets 429 problem+json with Retry-After, anonymous or not', async () => {
    const http = request((await api({ RATE_LIMIT_PER_ADDRESS: '5', RATE_LIMIT_WINDOW_SECONDS: '30' })).getHttpServer());
    for (let i = 0; i < 5; i++) expect((await http.get('/healthz')).status).toBe(200);
    const limited = await http.get('/api/v1/gamedays').set(auth());
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);
  });

  it('a token over its budget gets 429; another token from the same address does not', async () => {
    const app = await api({ RATE_LIMIT_PER_TOKEN: '3', RATE_LIMIT_PER_ADDRESS: '1000' });
    const http = request(app.getHttpServer());
    const other = await http
      .post('/api/v1/tokens')
      .set(auth())
      .send({ name: `${marker}-other`, role: 'viewer' });
    expect(other.status).toBe(201);
    // the admin token has spent one request on creating the other
    for (let i = 0; i < 2; i++) expect((await http.get('/api/v1/gamedays').set(auth())).status).toBe(200);
    const limited = await http.get('/api/v1/gamedays').set(auth());
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect((await http.get('/api/v1/gamedays').set(auth(other.body.token))).status).toBe(200);
  });

  it('two API replicas behind one address share one budget (counted in Redis)', async () => {
    const config = stack.newConfig({ RATE_LIMIT_PER_ADDRESS: '6', RATE_LIMIT_WINDOW_SECONDS: '30' });
    const replicas = [await stack.startApi(config), await stack.startApi(config)].map((a) =>
      request(a.getHttpServer()),
    );
    // alternating, as a round-robin proxy would: three each, six in all
    for (let i = 0; i < 6; i++) expect((await replicas[i % 2].get('/healthz')).status).toBe(200);
    expect((await replicas[0].get('/healthz')).status).toBe(429);
    expect((await replicas[1].get('/healthz')).status).toBe(429);
  });

  it('X-Forwarded-For names the client only behind a trusted proxy (TRUST_PROXY_HOPS)', async () => {
    const direct = request((await api({ RATE_LIMIT_PER_ADDRESS: '2' })).getHttpServer());
    // untrusted: a client cannot dodge its budget by making up addresses
    for (let i = 0; i < 2; i++)
      expect((await direct.get('/healthz').set('X-Forwarded-For', `10.9.0.${i}`)).status).toBe(200);
    expect((await direct.get('/healthz').set('X-Forwarded-For', '10.9.0.9')).status).toBe(429);
    const proxied = request((await api({ RATE_LIMIT_PER_ADDRESS: '2', TRUST_PROXY_HOPS: '1' })).getHttpServer());
    for (let i = 0; i < 2; i++)
      expect((await proxied.get('/healthz').set('X-Forwarded-For', '10.9.0.1')).status).toBe(200);
    expect((await proxied.get('/healthz').set('X-Forwarded-For', '10.9.0.1')).status).toBe(429);
    // another client behind the same proxy has a budget of its own
    expect((await proxied.get('/healthz').set('X-Forwarded-For', '10.9.0.2')).status).toBe(200);
  });

  it('with Redis unreachable the API still answers and limits in its own process', async () => {
    const http = request(
      (await api({ RATE_LIMIT_PER_ADDRESS: '3' }, { REDIS_URL: 'redis://127.0.0.1:1/0' })).getHttpServer(),
    );
    for (let i = 0; i < 3; i++) expect((await http.get('/healthz')).status).toBe(200);
    expect((await http.get('/healthz')).status).toBe(429);
  });

  it('a token with expiresAt stops authenticating when it expires; a past expiresAt is a 400', async () => {
    const http = request((await api()).getHttpServer());
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const created = await http
      .post('/api/v1/tokens')
      .set(auth())
      .send({ name: `${marker}-expiring`, role: 'viewer', expiresAt });
    expect(created.status).toBe(201);
    expect(created.body.expiresAt).toBe(expiresAt);
    expect((await http.get('/api/v1/gamedays').set(auth(created.body.token))).status).toBe(200);
    await prisma.apiToken.update({ where: { id: created.body.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await http.get('/api/v1/gamedays').set(auth(created.body.token));
    expect(expired.status).toBe(401);

    const past = await http
      .post('/api/v1/tokens')
      .set(auth())
      .send({ name: `${marker}-past`, role: 'viewer', expiresAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.errors).toContainEqual(expect.objectContaining({ field: 'expiresAt' }));
  });

  it('/readyz tells anonymous callers up/down, never the driver error text', async () => {
    const db = `no_such_db_${randomUUID().slice(0, 8)}`;
    const http = request(
      (
        await api(
          {},
          {
            DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${db}`,
            REDIS_URL: 'redis://127.0.0.1:1/0',
          },
        )
      ).getHttpServer(),
    );
    const res = await http.get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ postgres: 'down', redis: 'down' });
    expect(res.text).not.toMatch(new RegExp(`${db}|does not exist|ECONNREFUSED|127\\.0\\.0\\.1|postgres@`));
  });

  it("the worker's /metrics listens on loopback only by default", async () => {
    const worker = await stack.startWorker('stop-at-arming', stack.newConfig());
    const port = worker.get(WorkerHttpServer).port;
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    // a machine without any non-loopback address cannot tell: fail loudly rather than pass
    expect(external).toBeDefined();
    await expect(fetch(`http://${external!.address}:${port}/metrics`)).rejects.toThrow();
  });
});

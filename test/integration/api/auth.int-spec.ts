import type { INestApplication } from '@nestjs/common';
import { createHash } from 'node:crypto';
import request from 'supertest';
import {
  ADMIN_TOKEN,
  deleteGameDays,
  deleteQueueKeys,
  minimalGameDay,
  startApi,
  testConfig,
  testPrisma,
} from '../../support/harness';

describe('API tokens and roles (real Postgres)', () => {
  const config = testConfig('auth');
  const prisma = testPrisma();
  const tokenIds: string[] = [];
  const gameDayIds: string[] = [];
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  const tokens: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };

  beforeAll(async () => {
    app = await startApi(config);
    http = request(app.getHttpServer());
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const res = await http
        .post('/api/v1/tokens')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .send({ name: `auth-test-${role}`, role });
      expect(res.status).toBe(201);
      tokens[role] = res.body.token;
      tokenIds.push(res.body.id);
    }
  });

  afterAll(async () => {
    await app?.close();
    await deleteGameDays(prisma, gameDayIds);
    await prisma.apiToken.deleteMany({ where: { id: { in: tokenIds } } });
    await prisma.$disconnect();
    await deleteQueueKeys(config);
  });

  const future = () => minimalGameDay(new Date(Date.now() + 24 * 3600_000));

  it('stores only the sha256 of a token, and returns the secret once', async () => {
    const row = await prisma.apiToken.findUniqueOrThrow({ where: { id: tokenIds[0] } });
    expect(row.tokenHash).toBe(createHash('sha256').update(tokens.viewer).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(tokens.viewer);
    const list = await http.get('/api/v1/tokens').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(tokens.viewer);
    expect(list.body.items.find((t: { id: string }) => t.id === tokenIds[0])).toMatchObject({
      name: 'auth-test-viewer',
      role: 'viewer',
    });
  });

  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'Bearer gd_not-a-real-token'],
    ['a malformed header', 'Basic dXNlcjpwYXNz'],
  ])('answers 401 problem+json to %s', async (_label, header) => {
    const req = http.get('/api/v1/gamedays');
    const res = await (header ? req.set('Authorization', header) : req);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized', instance: '/api/v1/gamedays' });
  });

  it('a viewer can read but cannot create (403), and nothing is written', async () => {
    expect((await http.get('/api/v1/gamedays').set('Authorization', `Bearer ${tokens.viewer}`)).status).toBe(200);
    const before = await prisma.gameDay.count();
    const res = await http.post('/api/v1/gamedays').set('Authorization', `Bearer ${tokens.viewer}`).send(future());
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toContain('operator');
    expect(await prisma.gameDay.count()).toBe(before);
  });

  it('an operator can create but cannot manage tokens', async () => {
    const res = await http.post('/api/v1/gamedays').set('Authorization', `Bearer ${tokens.operator}`).send(future());
    expect(res.status).toBe(201);
    gameDayIds.push(res.body.id);
    expect((await http.get('/api/v1/tokens').set('Authorization', `Bearer ${tokens.operator}`)).status).toBe(403);
    expect(
      (
        await http
          .post('/api/v1/tokens')
          .set('Authorization', `Bearer ${tokens.operator}`)
          .send({ name: 'x', role: 'admin' })
      ).status,
    ).toBe(403);
  });

  it('a database admin token can manage tokens; a revoked token is refused', async () => {
    const created = await http
      .post('/api/v1/tokens')
      .set('Authorization', `Bearer ${tokens.admin}`)
      .send({ name: 'auth-test-short-lived', role: 'viewer' });
    expect(created.status).toBe(201);
    tokenIds.push(created.body.id);
    expect((await http.get('/api/v1/gamedays').set('Authorization', `Bearer ${created.body.token}`)).status).toBe(200);
    expect(
      (await http.delete(`/api/v1/tokens/${created.body.id}`).set('Authorization', `Bearer ${tokens.admin}`)).status,
    ).toBe(204);
    expect((await http.get('/api/v1/gamedays').set('Authorization', `Bearer ${created.body.token}`)).status).toBe(401);
    expect(
      (await http.delete(`/api/v1/tokens/${created.body.id}`).set('Authorization', `Bearer ${tokens.admin}`)).status,
    ).toBe(404);
  });

  it.each([
    [{ name: 'x' }, 'role'],
    [{ name: '', role: 'viewer' }, 'name'],
    [{ name: 'x', role: 'root' }, 'role'],
    [{ name: 'x', role: 'viewer', expires: 1 }, 'expires'],
  ])('rejects token body %j naming %s', async (body, field) => {
    const res = await http.post('/api/v1/tokens').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('health, readiness, metrics and docs need no token', async () => {
    expect((await http.get('/healthz')).status).toBe(200);
    expect((await http.get('/readyz')).body).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
    const metrics = await http.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('gameday_http_request_duration_seconds');
    expect(metrics.text).toContain('gameday_queue_jobs{queue="gameday-schedule",state="delayed"}');
    const docs = await http.get('/docs/json');
    expect(docs.status).toBe(200);
    expect(docs.body.components.schemas.GameDaySpec.properties.experiments).toBeDefined();
    expect(docs.body.paths['/api/v1/gamedays'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/GameDaySpec',
    );
  });
});

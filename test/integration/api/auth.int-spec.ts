import { createHash } from 'node:crypto';
import { minimalGameDay } from '../../support/harness';
import { bearer, useStack } from '../../support/stack.fixture';

describe('API tokens and roles (real Postgres)', () => {
  const stack = useStack({ name: 'auth-test', users: ['viewer', 'operator', 'admin'] });
  const { prisma } = stack;
  const viewer = () => stack.user('viewer');

  const future = () => minimalGameDay(new Date(Date.now() + 24 * 3600_000));

  it('stores only the sha256 of a token, and returns the secret once', async () => {
    const row = await prisma.apiToken.findUniqueOrThrow({ where: { id: viewer().id } });
    expect(row.tokenHash).toBe(createHash('sha256').update(viewer().token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(viewer().token);
    const list = await stack.http.get('/api/v1/tokens').set(stack.admin);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(viewer().token);
    expect(list.body.items.find((t: { id: string }) => t.id === viewer().id)).toMatchObject({
      name: viewer().name,
      role: 'viewer',
    });
  });

  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'Bearer gd_not-a-real-token'],
    ['a malformed header', 'Basic dXNlcjpwYXNz'],
  ])('answers 401 problem+json to %s', async (_label, header) => {
    const req = stack.http.get('/api/v1/gamedays');
    const res = await (header ? req.set('Authorization', header) : req);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized', instance: '/api/v1/gamedays' });
  });

  it('a viewer can read but cannot create (403), and nothing is written', async () => {
    expect((await stack.http.get('/api/v1/gamedays').set(stack.as('viewer'))).status).toBe(200);
    const before = await prisma.gameDay.count();
    const res = await stack.http.post('/api/v1/gamedays').set(stack.as('viewer')).send(future());
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toContain('operator');
    expect(await prisma.gameDay.count()).toBe(before);
  });

  it('an operator can create but cannot manage tokens', async () => {
    const res = await stack.http.post('/api/v1/gamedays').set(stack.as('operator')).send(future());
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    expect((await stack.http.get('/api/v1/tokens').set(stack.as('operator'))).status).toBe(403);
    expect(
      (await stack.http.post('/api/v1/tokens').set(stack.as('operator')).send({ name: 'x', role: 'admin' })).status,
    ).toBe(403);
  });

  it('a database admin token can manage tokens; a revoked token is refused', async () => {
    const created = await stack.http
      .post('/api/v1/tokens')
      .set(stack.as('admin'))
      .send({ name: 'auth-test-short-lived', role: 'viewer' });
    expect(created.status).toBe(201);
    stack.tokenIds.push(created.body.id);
    expect((await stack.http.get('/api/v1/gamedays').set(bearer(created.body.token))).status).toBe(200);
    expect((await stack.http.delete(`/api/v1/tokens/${created.body.id}`).set(stack.as('admin'))).status).toBe(204);
    expect((await stack.http.get('/api/v1/gamedays').set(bearer(created.body.token))).status).toBe(401);
    expect((await stack.http.delete(`/api/v1/tokens/${created.body.id}`).set(stack.as('admin'))).status).toBe(404);
  });

  it.each([
    [{ name: 'x' }, 'role'],
    [{ name: '', role: 'viewer' }, 'name'],
    [{ name: 'x', role: 'root' }, 'role'],
    [{ name: 'x', role: 'viewer', expires: 1 }, 'expires'],
  ])('rejects token body %j naming %s', async (body, field) => {
    const res = await stack.http.post('/api/v1/tokens').set(stack.admin).send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('health, readiness, metrics and docs need no token', async () => {
    expect((await stack.http.get('/healthz')).status).toBe(200);
    expect((await stack.http.get('/readyz')).body).toEqual({
      status: 'ready',
      checks: { postgres: 'up', redis: 'up' },
    });
    const metrics = await stack.http.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('gameday_http_request_duration_seconds');
    expect(metrics.text).toContain('gameday_queue_jobs{queue="gameday-schedule",state="delayed"}');
    const docs = await stack.http.get('/docs/json');
    expect(docs.status).toBe(200);
    expect(docs.body.components.schemas.GameDaySpec.properties.experiments).toBeDefined();
    expect(docs.body.paths['/api/v1/gamedays'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/GameDaySpec',
    );
  });
});

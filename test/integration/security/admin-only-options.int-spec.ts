import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
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
 * allowPrivileged and the nsenter strategy widen what a fault may touch: an admin's choice. An
 * operator sending them gets 403 problem+json naming each field; an admin may; an operator may
 * edit an admin's GameDay that keeps them, but not aim them elsewhere.
 */
describe('security: admin-only fault options (real Postgres + Redis)', () => {
  const config = testConfig('sec-admin-only');
  const prisma = testPrisma();
  const marker = `sec-admin-only-${randomUUID().slice(0, 8)}`;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  let operator: Record<string, string>;
  let app: INestApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    app = await startApi(config);
    http = request(app.getHttpServer());
    const t = await http
      .post('/api/v1/tokens')
      .set(admin)
      .send({ name: `${marker}-operator`, role: 'operator' });
    operator = { Authorization: `Bearer ${t.body.token}` };
  });

  afterAll(async () => {
    await app?.close();
    await prisma.gameDay.deleteMany({ where: { name: { startsWith: marker } } });
    await prisma.apiToken.deleteMany({ where: { name: { startsWith: marker } } });
    await prisma.$disconnect();
    await deleteQueueKeys(config);
  });

  const body = (fault: (f: JsonBody) => void): JsonBody => {
    const b = minimalGameDay(new Date(Date.now() + 7 * 24 * 3600_000), { name: `${marker} ${randomUUID()}` });
    fault(b.experiments[0].fault);
    return b;
  };
  const privileged = () => body((f) => (f.target.allowPrivileged = true));
  const nsenter = () => body((f) => (f.strategy = 'nsenter'));
  const rows = () => prisma.gameDay.count({ where: { name: { startsWith: marker } } });

  it.each([
    ['allowPrivileged', privileged, 'experiments[0].fault.target.allowPrivileged'],
    ['the nsenter strategy', nsenter, 'experiments[0].fault.strategy'],
  ])('an operator sending %s gets 403 problem+json naming the field; nothing is written', async (_l, make, field) => {
    const before = await rows();
    const res = await http.post('/api/v1/gamedays').set(operator).send(make());
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:gameday:problem:admin-only-option', status: 403 });
    expect(res.body.errors).toEqual([{ field, message: expect.stringMatching(/only an admin/) }]);
    expect(await rows()).toBe(before);
  });

  it('an admin may set them; an operator may then edit the GameDay but not move or add them', async () => {
    const both = body((f) => {
      f.target.allowPrivileged = true;
      f.strategy = 'nsenter';
    });
    const created = await http.post('/api/v1/gamedays').set(admin).send(both);
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // keeping the admin's choice: a description, and the experiments sent back as read
    const kept = await http.patch(`/api/v1/gamedays/${id}`).set(operator).send({ description: 'edited' });
    expect(kept.status).toBe(200);
    const experiments = kept.body.spec.experiments;
    expect((await http.patch(`/api/v1/gamedays/${id}`).set(operator).send({ experiments })).status).toBe(200);

    // aiming it elsewhere is a new choice
    const moved = structuredClone(experiments);
    moved[0].fault.target = { container: 'another-container', allowPrivileged: true };
    const refused = await http.patch(`/api/v1/gamedays/${id}`).set(operator).send({ experiments: moved });
    expect(refused.status).toBe(403);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'experiments[0].fault.target.allowPrivileged',
      'experiments[0].fault.strategy',
    ]);
    expect((await prisma.gameDay.findUniqueOrThrow({ where: { id } })).version).toBe(3);

    // and so is adding one to a GameDay without it
    const plain = await http
      .post('/api/v1/gamedays')
      .set(operator)
      .send(body(() => undefined));
    expect(plain.status).toBe(201);
    const added = structuredClone(plain.body.spec.experiments);
    added[0].fault.strategy = 'nsenter';
    const res = await http.patch(`/api/v1/gamedays/${plain.body.id}`).set(operator).send({ experiments: added });
    expect(res.status).toBe(403);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'experiments[0].fault.strategy' })]);
    expect((await http.patch(`/api/v1/gamedays/${plain.body.id}`).set(admin).send({ experiments: added })).status).toBe(
      200,
    );
  });
});

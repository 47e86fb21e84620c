import type { INestApplication } from '@nestjs/common';
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

/**
 * One live run per GameDay, enforced by the database under the GameDay's row lock: two quick
 * run-now calls (or a cron occurrence while the previous run still runs) start one run, not two.
 * No worker here: the first run stays `scheduled`, which is live.
 */
const config = testConfig('one-live-run');
const prisma = testPrisma();
const ids: string[] = [];
let api: INestApplication;
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  api = await startApi(config);
});

afterAll(async () => {
  await prisma.run.updateMany({ where: { gameDayId: { in: ids } }, data: { status: 'cancelled' } });
  await deleteGameDays(prisma, ids);
  await api?.close();
  await deleteQueueKeys(config);
  await prisma.$disconnect();
});

async function newGameDay(): Promise<string> {
  const res = await request(api.getHttpServer())
    .post('/api/v1/gamedays')
    .set(auth)
    .send(minimalGameDay(new Date(Date.now() + 3_600_000), { name: `one-live-${Date.now()}-${Math.random()}` }));
  expect(res.status).toBe(201);
  ids.push(res.body.id);
  return res.body.id as string;
}

it('refuses a second run-now while the first run has not ended', async () => {
  const id = await newGameDay();
  const http = request(api.getHttpServer());
  const first = await http.post(`/api/v1/gamedays/${id}/runs`).set(auth).send({});
  expect(first.status).toBe(201);
  const second = await http.post(`/api/v1/gamedays/${id}/runs`).set(auth).send({});
  expect(second.status).toBe(409);
  expect(second.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(second.body.detail).toContain(first.body.id);
  expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(1);
});

it('starts exactly one run when run-now calls race', async () => {
  const id = await newGameDay();
  const statuses = await Promise.all(
    Array.from({ length: 5 }, () =>
      request(api.getHttpServer())
        .post(`/api/v1/gamedays/${id}/runs`)
        .set(auth)
        .send({})
        .then((r) => r.status),
    ),
  );
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(4);
  expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(1);
});

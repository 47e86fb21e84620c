import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  ADMIN_TOKEN,
  cancelRunsAndDelete,
  deleteGameDays,
  deleteQueueKeys,
  minimalGameDay,
  startApi,
  startWorker,
  testConfig,
  testPrisma,
  waitFor,
} from '../../support/harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recurring GameDays fire on their pattern in their timezone (real Postgres + Redis + BullMQ)', () => {
  const config = testConfig('cron');
  const prisma = testPrisma();
  const ids: string[] = [];
  let api: INestApplication;
  let worker: INestApplicationContext;
  let http: ReturnType<typeof request>;
  const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeAll(async () => {
    api = await startApi(config);
    worker = await startWorker(config);
    http = request(api.getHttpServer());
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await deleteGameDays(prisma, ids);
    await prisma.$disconnect();
    await deleteQueueKeys(config);
  });

  async function create(schedule: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const res = await http
      .post('/api/v1/gamedays')
      .set(auth)
      .send(minimalGameDay(new Date(), { name: `cron-${randomUUID()}`, schedule, ...extra }));
    expect(res.status).toBe(201);
    ids.push(res.body.id);
    return res.body as { id: string; nextRunAt: string };
  }

  it('every 2 s during the current hour in Asia/Kolkata: runs on the pattern; delete stops them', async () => {
    // The hour field only matches in Kolkata's local hour (UTC+05:30), so runs prove the timezone
    // is applied; avoid the last seconds of that hour.
    let local = DateTime.now().setZone('Asia/Kolkata');
    if (local.minute === 59 && local.second > 40) {
      await sleep((61 - local.second) * 1000);
      local = DateTime.now().setZone('Asia/Kolkata');
    }
    const { id, nextRunAt } = await create({ cron: `*/2 * ${local.hour} * * *`, timezone: 'Asia/Kolkata' });
    expect(new Date(nextRunAt).getUTCSeconds() % 2).toBe(0);

    await waitFor('three runs', async () => (await prisma.run.count({ where: { gameDayId: id } })) >= 3, 10_000, 50);
    const runs = await prisma.run.findMany({ where: { gameDayId: id }, orderBy: { scheduledFor: 'asc' } });
    for (const run of runs) {
      expect(run.scheduledFor.getUTCMilliseconds()).toBe(0);
      expect(run.scheduledFor.getUTCSeconds() % 2).toBe(0);
      expect(DateTime.fromJSDate(run.scheduledFor).setZone('Asia/Kolkata').hour).toBe(local.hour);
      expect(run.createdAt.getTime() - run.scheduledFor.getTime()).toBeLessThan(1000);
      expect(run.trigger).toBe('schedule');
    }
    const gaps = runs.slice(1).map((r, i) => r.scheduledFor.getTime() - runs[i].scheduledFor.getTime());
    for (const gap of gaps) expect(gap).toBe(2000);
    const lateness = runs.map((r) => r.createdAt.getTime() - r.scheduledFor.getTime());
    console.log(`cron lateness (ms): ${lateness.join(', ')}`);

    // the GameDay shows its next occurrence
    const g = await prisma.gameDay.findUniqueOrThrow({ where: { id } });
    expect(g.nextRunAt!.getTime()).toBeGreaterThan(runs[runs.length - 1].scheduledFor.getTime());

    expect(await cancelRunsAndDelete(http, auth, prisma, id)).toBe(200);
    await sleep(300);
    const afterDelete = await prisma.run.count({ where: { gameDayId: id } });
    await sleep(4500);
    expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(afterDelete);
  });

  it('a recurring occurrence inside a blackout is skipped and recorded', async () => {
    const { id } = await create(
      { cron: '* * * * * *', timezone: 'Europe/Paris' },
      {
        blackouts: [
          {
            name: 'always',
            timezone: 'Europe/Paris',
            weekly: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' },
          },
        ],
      },
    );
    const run = await waitFor(
      'a skipped occurrence',
      () => prisma.run.findFirst({ where: { gameDayId: id }, include: { events: true } }),
      5000,
      50,
    );
    expect(run.status).toBe('skipped');
    expect(run.finishedAt).not.toBeNull();
    expect(run.error).toMatch(/blackout "always"/);
    expect(run.events).toEqual([
      expect.objectContaining({ type: 'occurrence.skipped', data: expect.objectContaining({ reason: 'blackout' }) }),
    ]);
    expect((await http.delete(`/api/v1/gamedays/${id}`).set(auth)).status).toBe(200);
  });

  it('a PATCH of the pattern replaces the scheduler at once', async () => {
    const { id } = await create({ cron: '0 0 1 1 *', timezone: 'UTC' });
    await sleep(1500);
    expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(0);
    const res = await http
      .patch(`/api/v1/gamedays/${id}`)
      .set(auth)
      .send({ schedule: { cron: '* * * * * *', timezone: 'UTC' } });
    expect(res.status).toBe(200);
    const run = await waitFor(
      'a run on the new pattern',
      () => prisma.run.findFirst({ where: { gameDayId: id } }),
      4000,
      50,
    );
    expect(run.gameDayVersion).toBe(2);
    expect(await cancelRunsAndDelete(http, auth, prisma, id)).toBe(200);
  });
});

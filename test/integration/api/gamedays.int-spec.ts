import { RUN_QUEUE, SCHEDULE_QUEUE, jobIds } from '@gameday/queue';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

describe('GameDays REST API (real Postgres + Redis)', () => {
  const marker = `api-${randomUUID()}`;
  const stack = useStack({ name: 'gamedays', users: ['viewer'] });
  const { prisma } = stack;
  const scheduleQueue = () => stack.api.get<Queue>(SCHEDULE_QUEUE);
  const runQueue = () => stack.api.get<Queue>(RUN_QUEUE);

  const hoursAhead = (h: number) => new Date(Date.now() + h * 3600_000);
  async function create(body: Record<string, unknown>) {
    const res = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body);
    if (res.body.id) stack.gameDayIds.push(res.body.id);
    return res;
  }

  it('creates a one-shot GameDay: 201 with id and nextRunAt, a row, and one delayed job', async () => {
    const at = hoursAhead(2);
    const res = await create(minimalGameDay(at, { name: `${marker} one-shot` }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'active', version: 1, nextRunAt: at.toISOString(), mode: 'announced' });
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row).toMatchObject({ scheduleKind: 'at', runAt: at });
    const job = await scheduleQueue().getJob(jobIds.oneShot(res.body.id));
    expect(job?.data).toEqual({ gameDayId: res.body.id, version: 1, scheduledFor: at.toISOString() });
    expect(await job?.isDelayed()).toBe(true);
    expect(Math.abs(job!.timestamp + job!.delay - at.getTime())).toBeLessThan(1000);

    const got = await stack.http.get(`/api/v1/gamedays/${res.body.id}`).set(stack.as('viewer'));
    expect(got.status).toBe(200);
    expect(got.body.spec.experiments[0].fault.netem).toEqual({ delay: '500ms', jitter: '100ms' });
  });

  it('creates a recurring GameDay with one job scheduler in its timezone', async () => {
    const res = await create(
      minimalGameDay(hoursAhead(1), {
        name: `${marker} weekly`,
        schedule: { cron: '0 10 * * MON', timezone: 'Australia/Sydney' },
      }),
    );
    expect(res.status).toBe(201);
    const scheduler = await scheduleQueue().getJobScheduler(jobIds.scheduler(res.body.id));
    expect(scheduler).toMatchObject({ pattern: '0 10 * * MON', tz: 'Australia/Sydney' });
    // Monday 10:00 in Sydney is Sunday 23:00 or 00:00 UTC depending on daylight saving
    const next = new Date(res.body.nextRunAt);
    expect(['Sun 23', 'Mon 0']).toContain(`${next.toUTCString().slice(0, 3)} ${next.getUTCHours()}`);
    expect(await scheduleQueue().getJob(jobIds.oneShot(res.body.id))).toBeUndefined();
  });

  it('lists with filters and cursor pagination', async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (await create(minimalGameDay(hoursAhead(3 + i), { name: `${marker} page ${i}`, environment: 'pagetest' })))
          .status,
      ).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await stack.http
        .get('/api/v1/gamedays')
        .query({ limit: 2, environment: 'pagetest', q: marker, ...(cursor ? { cursor } : {}) })
        .set(stack.as('viewer'));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((g: { name: string }) => g.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([`${marker} page 2`, `${marker} page 1`, `${marker} page 0`]);
  });

  it('a list item carries its last 10 runs, newest first, with verdict and deviation (no request per row)', async () => {
    const busy = await create(minimalGameDay(hoursAhead(3), { name: `${marker} recent busy` }));
    const idle = await create(minimalGameDay(hoursAhead(3), { name: `${marker} recent idle` }));
    const base = Date.now() - 24 * 3600_000;
    await prisma.run.createMany({
      data: Array.from({ length: 12 }, (_, i) => ({
        gameDayId: busy.body.id,
        scheduledFor: new Date(base + i * 60_000),
        status: 'completed' as const,
        verdict: i % 2 === 0 ? ('hypothesis_held' as const) : ('hypothesis_violated' as const),
        result: { deviationRatio: i / 10 },
        spec: {},
        gameDayVersion: 1,
      })),
    });
    const res = await stack.http
      .get('/api/v1/gamedays')
      .query({ q: `${marker} recent` })
      .set(stack.as('viewer'));
    expect(res.status).toBe(200);
    const byName = new Map(res.body.items.map((g: { name: string }) => [g.name, g]));
    const recent = (byName.get(`${marker} recent busy`) as { recentRuns: Record<string, unknown>[] }).recentRuns;
    expect(recent).toHaveLength(10);
    expect(recent[0]).toMatchObject({ status: 'completed', verdict: 'hypothesis_violated', deviationRatio: 1.1 });
    expect(recent.map((r) => r.deviationRatio)).toEqual([1.1, 1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]);
    expect((byName.get(`${marker} recent idle`) as { recentRuns: unknown[] }).recentRuns).toEqual([]);
    expect(idle.status).toBe(201);
  });

  it('PATCH reschedules at once (the job moves) and bumps the version', async () => {
    const created = await create(minimalGameDay(hoursAhead(5), { name: `${marker} patch` }));
    const newAt = hoursAhead(6);
    const res = await stack.http
      .patch(`/api/v1/gamedays/${created.body.id}`)
      .set(stack.admin)
      .send({ schedule: { at: newAt.toISOString() }, description: 'moved' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 2, nextRunAt: newAt.toISOString() });
    expect(res.body.spec.description).toBe('moved');
    const job = await scheduleQueue().getJob(jobIds.oneShot(created.body.id));
    expect(job?.data).toMatchObject({ version: 2, scheduledFor: newAt.toISOString() });

    // switching to cron replaces the delayed job with a scheduler
    const toCron = await stack.http
      .patch(`/api/v1/gamedays/${created.body.id}`)
      .set(stack.admin)
      .send({ schedule: { cron: '0 9 * * 1-5', timezone: 'Europe/Paris' } });
    expect(toCron.status).toBe(200);
    expect(await scheduleQueue().getJob(jobIds.oneShot(created.body.id))).toBeUndefined();
    expect(await scheduleQueue().getJobScheduler(jobIds.scheduler(created.body.id))).toMatchObject({
      pattern: '0 9 * * 1-5',
      tz: 'Europe/Paris',
    });

    const bad = await stack.http
      .patch(`/api/v1/gamedays/${created.body.id}`)
      .set(stack.admin)
      .send({ timezone: 'nowhere', colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['colour', 'timezone']);
  });

  it('PATCH answers 409 while a run is active', async () => {
    const created = await create(minimalGameDay(hoursAhead(7), { name: `${marker} busy` }));
    await prisma.run.create({
      data: { gameDayId: created.body.id, scheduledFor: new Date(), status: 'baseline', spec: {}, gameDayVersion: 1 },
    });
    const res = await stack.http
      .patch(`/api/v1/gamedays/${created.body.id}`)
      .set(stack.admin)
      .send({ description: 'x' });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } })).version).toBe(1);
  });

  it('DELETE cancels future occurrences and keeps history', async () => {
    const oneShot = await create(minimalGameDay(hoursAhead(8), { name: `${marker} delete` }));
    const cron = await create(
      minimalGameDay(hoursAhead(8), {
        name: `${marker} delete cron`,
        schedule: { cron: '0 10 * * *', timezone: 'UTC' },
      }),
    );
    await prisma.run.create({
      data: {
        gameDayId: cron.body.id,
        scheduledFor: new Date(Date.now() - 3600_000),
        status: 'completed',
        spec: {},
        gameDayVersion: 1,
      },
    });
    for (const g of [oneShot, cron]) {
      const res = await stack.http.delete(`/api/v1/gamedays/${g.body.id}`).set(stack.admin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'cancelled', nextRunAt: null });
      expect(res.body.cancelledAt).not.toBeNull();
    }
    expect(await scheduleQueue().getJob(jobIds.oneShot(oneShot.body.id))).toBeUndefined();
    expect(await scheduleQueue().getJobScheduler(jobIds.scheduler(cron.body.id))).toBeUndefined();
    const history = await stack.http.get(`/api/v1/gamedays/${cron.body.id}/runs`).set(stack.admin);
    expect(history.body.items).toHaveLength(1);
    expect(
      (await stack.http.patch(`/api/v1/gamedays/${oneShot.body.id}`).set(stack.admin).send({ description: 'x' }))
        .status,
    ).toBe(409);
    expect((await stack.http.post(`/api/v1/gamedays/${oneShot.body.id}/runs`).set(stack.admin)).status).toBe(409);
  });

  it('run now creates a manual run and enqueues its launch', async () => {
    const created = await create(minimalGameDay(hoursAhead(9), { name: `${marker} run-now` }));
    const res = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ gameDayId: created.body.id, trigger: 'manual', status: 'scheduled' });
    expect(await runQueue().getJob(jobIds.launch(res.body.id))).toBeDefined();
    const one = await stack.http.get(`/api/v1/runs/${res.body.id}`).set(stack.as('viewer'));
    expect(one.status).toBe(200);
    expect(one.body.events.map((e: { type: string }) => e.type)).toEqual(['run.requested']);
    const list = await stack.http.get(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.as('viewer'));
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([res.body.id]);
    expect(list.body.nextCursor).toBeNull();
    expect((await stack.http.get(`/api/v1/runs/${randomUUID()}`).set(stack.admin)).status).toBe(404);
  });

  it('run now is refused inside a blackout (422)', async () => {
    const created = await create(
      minimalGameDay(hoursAhead(10), {
        name: `${marker} blackout-now`,
        blackouts: [
          {
            name: 'now',
            timezone: 'UTC',
            start: new Date(Date.now() - 60_000).toISOString(),
            end: hoursAhead(1).toISOString(),
          },
        ],
      }),
    );
    expect(created.status).toBe(201);
    const res = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('blackouts[0]');
  });

  it('blind mode hides the fault from viewers only', async () => {
    const created = await create(minimalGameDay(hoursAhead(11), { name: `${marker} blind`, mode: 'blind' }));
    const asViewer = await stack.http.get(`/api/v1/gamedays/${created.body.id}`).set(stack.as('viewer'));
    expect(asViewer.body.spec.experiments[0].fault).toEqual({ kind: 'network', hidden: true });
    const asAdmin = await stack.http.get(`/api/v1/gamedays/${created.body.id}`).set(stack.admin);
    expect(asAdmin.body.spec.experiments[0].fault.netem.delay).toBe('500ms');
  });
});

describe('readiness when a dependency is down', () => {
  const stack = useStack({ name: 'readyz', api: false });

  it('answers 503 naming Redis when Redis is unreachable', async () => {
    const app = await stack.startApi({ ...stack.config, REDIS_URL: 'redis://127.0.0.1:1/0' });
    const res = await request(app.getHttpServer()).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.checks.postgres).toBe('up');
    expect(res.body.checks.redis).toMatch(/^down/);
  });

  it('answers 503 naming Postgres when Postgres is unreachable', async () => {
    const app = await stack.startApi({
      ...stack.newConfig(),
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/gameday_test',
    });
    const res = await request(app.getHttpServer()).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.redis).toBe('up');
    expect(res.body.checks.postgres).toMatch(/^down/);
  });
});

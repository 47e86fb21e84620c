import { SCHEDULE_QUEUE, jobIds } from '@gameday/queue';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { minimalGameDay, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// Edits racing a firing: DELETE never pulls a GameDay from under a live run (409), and every run
// carries the spec version it was fired with. Real Postgres, Redis, BullMQ; runs stop at arming.

describe('GameDay edits and deletes against live runs', () => {
  const stack = useStack({ name: 'ctl-edits', worker: 'stop-at-arming' });
  const { prisma } = stack;

  async function create(overrides: Record<string, unknown>): Promise<string> {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `ctl-edits-${randomUUID()}`, ...overrides }));
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    return res.body.id as string;
  }

  it.each(['observing', 'scheduled'] as const)(
    'DELETE with a live run (%s) answers 409 problem+json and keeps the schedule',
    async (status) => {
      const id = await create({ schedule: { cron: '0 10 * * *', timezone: 'UTC' } });
      const run = await prisma.run.create({
        data: { gameDayId: id, scheduledFor: new Date(), status, spec: {}, gameDayVersion: 1 },
      });
      const res = await stack.http.delete(`/api/v1/gamedays/${id}`).set(stack.admin);
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'urn:gameday:problem:run-active', status: 409 });
      expect(res.body.detail).toMatch(/abort/);
      expect((await prisma.gameDay.findUniqueOrThrow({ where: { id } })).status).toBe('active');
      const scheduleQueue = stack.api.get<Queue>(SCHEDULE_QUEUE);
      expect(await scheduleQueue.getJobScheduler(jobIds.scheduler(id))).toBeDefined();

      // once the run has ended, the GameDay can go
      await prisma.run.update({ where: { id: run.id }, data: { status: 'aborted', finishedAt: new Date() } });
      const deleted = await stack.http.delete(`/api/v1/gamedays/${id}`).set(stack.admin);
      expect(deleted.status).toBe(200);
      expect(deleted.body.status).toBe('cancelled');
      expect(await scheduleQueue.getJobScheduler(jobIds.scheduler(id))).toBeUndefined();
    },
  );

  it('a PATCH after firing does not change the run already created; the next firing uses the new version', async () => {
    const firstAt = new Date(Date.now() + 2_500);
    const id = await create({ description: 'v1', schedule: { at: firstAt.toISOString() } });
    const first = await waitFor(
      'the first firing',
      () => prisma.run.findFirst({ where: { gameDayId: id, status: 'arming' } }),
      15_000,
      50,
    );
    expect(first.gameDayVersion).toBe(1);
    // while the run is live the edit waits
    expect((await stack.http.patch(`/api/v1/gamedays/${id}`).set(stack.admin).send({ description: 'v2' })).status).toBe(
      409,
    );
    await prisma.run.update({ where: { id: first.id }, data: { status: 'cancelled', finishedAt: new Date() } });

    const secondAt = new Date(Date.now() + 2_500);
    const patched = await stack.http
      .patch(`/api/v1/gamedays/${id}`)
      .set(stack.admin)
      .send({ description: 'v2', schedule: { at: secondAt.toISOString() } });
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(2);

    const firstView = await stack.http.get(`/api/v1/runs/${first.id}`).set(stack.admin);
    expect(firstView.body).toMatchObject({ gameDayVersion: 1, spec: { description: 'v1' } });
    expect(firstView.body.spec.schedule.at).toBe(firstAt.toISOString());

    const second = await waitFor(
      'the second firing',
      () => prisma.run.findFirst({ where: { gameDayId: id, scheduledFor: secondAt } }),
      15_000,
      50,
    );
    expect(second.gameDayVersion).toBe(2);
    expect(second.spec).toMatchObject({ description: 'v2' });
  });
});

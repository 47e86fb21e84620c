import { randomUUID } from 'node:crypto';
import { WorkerHttpServer } from '../../../apps/worker/src/http/worker-http.server';
import { minimalGameDay, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

describe('one-shot GameDays fire on time (real Postgres + Redis + BullMQ)', () => {
  const stack = useStack({ name: 'oneshot', worker: 'stop-at-arming' });
  const { prisma } = stack;

  async function create(at: Date, extra: Record<string, unknown> = {}) {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(at, { name: `oneshot-${randomUUID()}`, ...extra }));
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    return res.body as { id: string; nextRunAt: string };
  }

  it('a GameDay 2 s ahead produces exactly one Run within 1 s of its instant', async () => {
    const at = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000);
    const { id, nextRunAt } = await create(at);
    expect(nextRunAt).toBe(at.toISOString());
    const run = await waitFor('the run', () => prisma.run.findFirst({ where: { gameDayId: id } }), 6000, 20);
    const lateMs = run.createdAt.getTime() - at.getTime();
    expect(run.scheduledFor.toISOString()).toBe(at.toISOString());
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1000);
    expect(run.trigger).toBe('schedule');

    // handed to the launcher (here the scheduling-only one): stops at arming with a clear event
    const armed = await waitFor('arming', async () => {
      const r = await prisma.run.findUnique({ where: { id: run.id }, include: { events: { orderBy: { id: 'asc' } } } });
      return r?.status === 'arming' ? r : null;
    });
    expect(armed.events.map((e) => e.type)).toEqual(['occurrence.fired', 'run.arming']);
    expect(armed.events[1].message).toMatch(/scheduling test: the run stops at arming/);
    expect(armed.spec).toMatchObject({ name: expect.stringMatching(/^oneshot-/) });

    await new Promise((r) => setTimeout(r, 500));
    expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(1);
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id } });
    expect(gameDay).toMatchObject({ status: 'finished', nextRunAt: null });

    // while its run is active the GameDay cannot be edited; once the run ends (the lifecycle is
    // not part of this test: finish it by hand) a finished one-shot can be planned again
    expect((await stack.http.patch(`/api/v1/gamedays/${id}`).set(stack.admin).send({ description: 'x' })).status).toBe(
      409,
    );
    await prisma.run.update({ where: { id: run.id }, data: { status: 'completed', finishedAt: new Date() } });
    const again = new Date(Date.now() + 3600_000);
    const replanned = await stack.http
      .patch(`/api/v1/gamedays/${id}`)
      .set(stack.admin)
      .send({ schedule: { at: again.toISOString() } });
    expect(replanned.status).toBe(200);
    expect(replanned.body).toMatchObject({ status: 'active', nextRunAt: again.toISOString() });

    const viaApi = await stack.http.get(`/api/v1/runs/${run.id}`).set(stack.admin);
    expect(viaApi.body.events.map((e: { type: string }) => e.type)).toEqual(['occurrence.fired', 'run.arming']);
    console.log(`one-shot lateness: ${lateMs} ms (occurrence instant → run row)`);
  });

  it('a reschedule takes effect at once: it fires at the new instant, never at the old one', async () => {
    const { id } = await create(new Date(Date.now() + 60_000));
    const newAt = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000);
    const patched = await stack.http
      .patch(`/api/v1/gamedays/${id}`)
      .set(stack.admin)
      .send({ schedule: { at: newAt.toISOString() } });
    expect(patched.status).toBe(200);
    const run = await waitFor(
      'the rescheduled run',
      () => prisma.run.findFirst({ where: { gameDayId: id } }),
      6000,
      20,
    );
    expect(run.scheduledFor.toISOString()).toBe(newAt.toISOString());
    expect(run.createdAt.getTime() - newAt.getTime()).toBeLessThan(1000);
    expect(run.gameDayVersion).toBe(2);
  });

  it('delete stops the occurrence from firing', async () => {
    const at = new Date(Date.now() + 2000);
    const { id } = await create(at);
    expect((await stack.http.delete(`/api/v1/gamedays/${id}`).set(stack.admin)).status).toBe(200);
    await new Promise((r) => setTimeout(r, at.getTime() - Date.now() + 1500));
    expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(0);
  });

  it('run now launches a manual run through the worker', async () => {
    const { id } = await create(new Date(Date.now() + 3600_000));
    const res = await stack.http.post(`/api/v1/gamedays/${id}/runs`).set(stack.admin);
    expect(res.status).toBe(201);
    const armed = await waitFor('manual run arming', async () => {
      const r = await prisma.run.findUnique({ where: { id: res.body.id } });
      return r?.status === 'arming' ? r : null;
    });
    expect(armed.trigger).toBe('manual');
  });

  it('the worker exposes /metrics and /healthz on its own port', async () => {
    const port = stack.worker.get(WorkerHttpServer).port;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/gameday_runs_created_total\{trigger="schedule"\} [1-9]/);
    expect(metrics).toContain('gameday_schedule_lateness_seconds_bucket');
    expect(metrics).toContain('gameday_queue_jobs{queue="gameday-schedule",state="waiting"}');
  });
});

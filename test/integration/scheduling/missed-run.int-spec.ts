import { SCHEDULE_QUEUE, jobIds } from '@gameday/queue';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { minimalGameDay, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

/**
 * Workers were down when occurrences came due. When one starts, each overdue occurrence is
 * judged by its GameDay's missed-run policy: run late (trigger catch_up) within the deadline,
 * or skip and record why. Even a job Redis lost is put back from Postgres at start-up.
 */
describe('missed-run policy (real Postgres + Redis + BullMQ)', () => {
  const stack = useStack({ name: 'missed', env: { WORKER_RECONCILE: 'true' } });
  const { prisma } = stack;

  async function create(at: Date, missedRunPolicy: { mode: string; deadline: string }) {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(
        minimalGameDay(at, { name: `missed-${randomUUID()}`, schedule: { at: at.toISOString(), missedRunPolicy } }),
      );
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    return res.body.id as string;
  }

  it('runs late within the deadline, skips beyond it or when the policy says skip', async () => {
    // room for four creates on a slow machine: schedule.at must still be in the future when each is posted
    const at = new Date(Date.now() + 5000);
    const runLate = await create(at, { mode: 'run_late', deadline: '1m' });
    const lostInRedis = await create(at, { mode: 'run_late', deadline: '1m' });
    const tooLate = await create(at, { mode: 'run_late', deadline: '3s' });
    const skip = await create(at, { mode: 'skip', deadline: '1h' });

    // Redis "loses" one job while no worker runs
    await stack.api.get<Queue>(SCHEDULE_QUEUE).remove(jobIds.oneShot(lostInRedis));
    // no worker until the occurrence is 6.5 s overdue (beyond the 5 s on-time tolerance)
    await new Promise((r) => setTimeout(r, at.getTime() + 6500 - Date.now()));
    await stack.startWorker('stop-at-arming');

    const all = [runLate, lostInRedis, tooLate, skip];
    await waitFor(
      'every overdue occurrence judged',
      async () => (await prisma.run.count({ where: { gameDayId: { in: all } } })) === all.length,
      8000,
    );
    const runs = await prisma.run.findMany({
      where: { gameDayId: { in: all } },
      include: { events: { orderBy: { id: 'asc' } } },
    });
    const of = (id: string) => runs.find((r) => r.gameDayId === id)!;

    for (const id of [runLate, lostInRedis]) {
      expect(of(id)).toMatchObject({ trigger: 'catch_up', scheduledFor: at });
      expect(of(id).events[0]).toMatchObject({
        type: 'occurrence.fired',
        message: expect.stringMatching(/late, within the missed-run deadline of 1m/),
      });
    }
    expect(of(tooLate)).toMatchObject({
      status: 'skipped',
      error: expect.stringMatching(/beyond the missed-run deadline of 3s/),
    });
    expect(of(skip)).toMatchObject({ status: 'skipped', error: expect.stringMatching(/missed-run policy is skip/) });
    for (const id of [tooLate, skip])
      expect(of(id).events[0]).toMatchObject({
        type: 'occurrence.skipped',
        data: expect.objectContaining({ reason: 'missed' }),
      });
  });
});

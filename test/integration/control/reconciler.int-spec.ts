import { randomUUID } from 'node:crypto';
import { deleteQueueKeys, minimalGameDay, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// Postgres is the truth: a worker's periodic reconciler puts back schedules a Redis flush wiped
// and launches runs whose launch was lost, without a restart. Real Postgres, Redis and BullMQ;
// runs stop at arming (scheduling only).

describe('reconciler (lost launches)', () => {
  const stack = useStack({
    name: 'ctl-reconcile',
    env: { WORKER_RECONCILE: 'true', WORKER_RECONCILE_INTERVAL_MS: '1000' },
    worker: 'stop-at-arming',
  });
  const { config, prisma } = stack;

  async function create(schedule: Record<string, unknown>): Promise<string> {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(), { name: `ctl-reconcile-${randomUUID()}`, schedule }));
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    return res.body.id as string;
  }

  it('Redis keys flushed with GameDays scheduled: their next occurrences still fire on time', async () => {
    const at = new Date(Date.now() + 9_000);
    const oneShot = await create({ at: at.toISOString() });
    const cron = await create({ cron: '*/4 * * * * *', timezone: 'UTC' });
    await new Promise((r) => setTimeout(r, 1_000));

    // everything this deployment had in Redis is gone (its prefix only: the shared Redis stays up)
    const flushedAt = Date.now();
    await deleteQueueKeys(config);

    const fired = await waitFor(
      'the one-shot occurrence',
      () => prisma.run.findFirst({ where: { gameDayId: oneShot, scheduledFor: at } }),
      20_000,
      50,
    );
    const oneShotLateMs = fired.createdAt.getTime() - at.getTime();
    const cronRun = await waitFor(
      'a cron occurrence after the flush',
      () =>
        prisma.run.findFirst({
          where: { gameDayId: cron, scheduledFor: { gt: new Date(flushedAt + 2_000) } },
          orderBy: { scheduledFor: 'asc' },
        }),
      20_000,
      50,
    );
    const cronLateMs = cronRun.createdAt.getTime() - cronRun.scheduledFor.getTime();
    console.log(`after a Redis flush: one-shot fired ${oneShotLateMs} ms late, cron occurrence ${cronLateMs} ms late`);
    expect(oneShotLateMs).toBeGreaterThanOrEqual(0);
    expect(oneShotLateMs).toBeLessThan(1_500);
    expect(cronLateMs).toBeLessThan(1_500);
    expect(fired.trigger).toBe('schedule');
  });

  it('a run left scheduled without a job is launched', async () => {
    const gameDayId = await create({ at: new Date(Date.now() + 3600_000).toISOString() });
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id: gameDayId } });
    // the API wrote the row, then the enqueue failed (Redis blip): nothing will ever launch it
    const past = new Date(Date.now() - 5_000);
    const run = await prisma.run.create({
      data: {
        gameDayId,
        scheduledFor: past,
        createdAt: past,
        trigger: 'manual',
        status: 'scheduled',
        spec: gameDay.spec as object,
        gameDayVersion: gameDay.version,
      },
    });
    const launched = await waitFor(
      'the stuck run to be launched',
      async () => {
        const r = await prisma.run.findUnique({ where: { id: run.id } });
        return r && r.status !== 'scheduled' ? r : null;
      },
      10_000,
      100,
    );
    expect(launched.status).toBe('arming');
  });
});

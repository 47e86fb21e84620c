import { randomUUID } from 'node:crypto';
import { QUEUES, SCHEDULE_QUEUE, hostWorker, jobIds } from '@gameday/queue';
import { UnrecoverableError, type Queue } from 'bullmq';
import { minimalGameDay, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// A fire job that spent its attempts (the database out of reach for longer than its backoff, as a
// burst of 10 000 behind a pool busy with the runs of the burst before) stays in Redis as failed:
// the reconciler saw its id as present and the occurrence was never fired. Now the reconciler
// fires it again while its GameDay is active. Real Postgres, Redis and BullMQ; runs stop at arming.
describe('an occurrence whose firing failed is fired again by the reconciler', () => {
  const stack = useStack({
    name: 'failedfire',
    env: { WORKER_RECONCILE: 'true', WORKER_RECONCILE_INTERVAL_MS: '1000' },
    worker: false,
  });
  const { config, prisma } = stack;
  const scheduleQueue = () => stack.api.get<Queue>(SCHEDULE_QUEUE);

  async function create(at: Date, schedule?: Record<string, unknown>): Promise<string> {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(at, { name: `failedfire-${randomUUID()}`, ...(schedule ? { schedule } : {}) }));
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    return res.body.id as string;
  }

  /**
   * Takes the due fire jobs with a worker whose every firing fails for good, until the one-shots
   * of `ids` and an occurrence of `cron` have failed; returns the failed occurrences' job ids.
   */
  async function failFirings(ids: string[], cron: string): Promise<string[]> {
    const failing = hostWorker(
      QUEUES.schedule,
      () => Promise.reject(new UnrecoverableError('the database is out of reach')),
      config,
      { concurrency: 10 },
      () => undefined,
    );
    try {
      await waitFor(
        'the fire jobs to fail',
        async () => {
          const states = await Promise.all(ids.map((id) => scheduleQueue().getJobState(jobIds.oneShot(id))));
          const failed = await scheduleQueue().getRanges(['failed'], 0, -1);
          return states.every((s) => s === 'failed') && failed.some((j) => jobIds.gameDayOfFire(j) === cron);
        },
        15_000,
        100,
      );
    } finally {
      await failing.close();
    }
    return scheduleQueue().getRanges(['failed'], 0, -1);
  }

  it('the failed occurrence of an active GameDay gets its one run, a cron one is judged again; a cancelled one stays unfired', async () => {
    const at = new Date(Math.ceil((Date.now() + 2_000) / 1000) * 1000);
    const active = await create(at);
    const cancelled = await create(at);
    const cron = await create(at, { cron: '*/2 * * * * *', timezone: 'UTC' });
    const failedCron = (await failFirings([active, cancelled], cron)).filter((j) => jobIds.gameDayOfFire(j) === cron);
    // cancelled after its firing failed, and the cancel's queue sync lost (a Redis blip): its
    // failed job is still there, and must stay unfired
    await prisma.gameDay.update({ where: { id: cancelled }, data: { status: 'cancelled' } });
    expect(await scheduleQueue().getJobState(jobIds.oneShot(cancelled))).toBe('failed');
    expect(await prisma.run.count({ where: { gameDayId: { in: [active, cancelled] } } })).toBe(0);

    await stack.startWorker('stop-at-arming');
    const run = await waitFor(
      'the failed occurrence fired again',
      () => prisma.run.findFirst({ where: { gameDayId: active } }),
      15_000,
      100,
    );
    expect(run.scheduledFor.getTime()).toBe(at.getTime());
    // two more reconcile ticks: still one run, and none for the cancelled GameDay
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await prisma.run.count({ where: { gameDayId: active } })).toBe(1);
    expect(await prisma.run.count({ where: { gameDayId: cancelled } })).toBe(0);
    expect(await scheduleQueue().getJobState(jobIds.oneShot(active))).toBe('completed');
    // the cron GameDay's failed occurrences were fired again and judged (a run, or a skip on record)
    expect(failedCron.length).toBeGreaterThan(0);
    for (const j of failedCron) expect(await scheduleQueue().getJobState(j)).toBe('completed');
  });
});

import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { cancelRunsAndDelete, minimalGameDay, recordedOccurrences, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recurring GameDays fire on their pattern in their timezone (real Postgres + Redis + BullMQ)', () => {
  const stack = useStack({ name: 'cron', worker: 'stop-at-arming' });
  const { prisma } = stack;

  async function create(schedule: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(), { name: `cron-${randomUUID()}`, schedule, ...extra }));
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
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

    // the first run stays live (arming): the occurrences after it are skipped (one live run per
    // GameDay), consecutive ones on one row with a count
    const counted = async () => (await recordedOccurrences(prisma, id)).reduce((n, r) => n + r.occurrences, 0);
    await waitFor('three occurrences', async () => (await counted()) >= 3, 10_000, 50);
    const rows = await recordedOccurrences(prisma, id);
    for (const row of rows) {
      for (const at of [row.first, row.last]) {
        expect(at % 2000).toBe(0);
        expect(DateTime.fromMillis(at).setZone('Asia/Kolkata').hour).toBe(local.hour);
      }
      // every 2 s, none missing or counted twice inside a row
      expect(row.occurrences).toBe((row.last - row.first) / 2000 + 1);
    }
    // one after the other, 2 s apart: none lost between rows either
    for (let i = 1; i < rows.length; i++) expect(rows[i].first - rows[i - 1].last).toBe(2000);
    const lateness = rows.map((r) => r.createdAt - r.first).concat(rows.map((r) => r.updatedAt - r.last));
    for (const ms of lateness) expect(ms).toBeLessThan(1000);
    console.log(`cron lateness (ms): ${lateness.join(', ')}`);
    const runs = await prisma.run.findMany({ where: { gameDayId: id }, orderBy: { scheduledFor: 'asc' } });
    for (const run of runs) expect(run.trigger).toBe('schedule');

    // the GameDay shows its next occurrence
    const g = await prisma.gameDay.findUniqueOrThrow({ where: { id } });
    expect(g.nextRunAt!.getTime()).toBeGreaterThan(rows[rows.length - 1].last);

    expect(await cancelRunsAndDelete(stack.http, stack.admin, prisma, id)).toBe(200);
    await sleep(300);
    const afterDelete = await counted();
    await sleep(4500);
    expect(await counted()).toBe(afterDelete);
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
    expect((await stack.http.delete(`/api/v1/gamedays/${id}`).set(stack.admin)).status).toBe(200);
  });

  it('every second through a blackout: one skipped run counting the occurrences, not a row each', async () => {
    // one window (a weekly one would be another window after midnight)
    const always = {
      name: 'freeze',
      timezone: 'UTC',
      start: new Date(Date.now() - 3600_000).toISOString(),
      end: new Date(Date.now() + 3600_000).toISOString(),
    };
    const { id } = await create({ cron: '* * * * * *', timezone: 'UTC' }, { blackouts: [always] });
    await waitFor(
      'five skipped occurrences',
      async () => (await recordedOccurrences(prisma, id)).reduce((n, r) => n + r.occurrences, 0) >= 5,
      10_000,
      100,
    );
    const rows = await recordedOccurrences(prisma, id);
    const run = await prisma.run.findFirstOrThrow({ where: { gameDayId: id }, include: { events: true } });
    console.log(`${rows[0].occurrences} occurrences every second in a blackout: ${rows.length} row(s)`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'skipped' });
    // consecutive seconds, each counted once
    expect(rows[0].occurrences).toBe((rows[0].last - rows[0].first) / 1000 + 1);
    expect(rows[0].updatedAt - rows[0].last).toBeLessThan(1000);
    expect(run.error).toMatch(
      new RegExp(`^occurrence falls in blackout "freeze" .* \\(${rows[0].occurrences} consecutive occurrences skipped`),
    );
    expect(run.events).toHaveLength(1);
    expect((await stack.http.delete(`/api/v1/gamedays/${id}`).set(stack.admin)).status).toBe(200);
  });

  it('a PATCH of the pattern replaces the scheduler at once', async () => {
    const { id } = await create({ cron: '0 0 1 1 *', timezone: 'UTC' });
    await sleep(1500);
    expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(0);
    const res = await stack.http
      .patch(`/api/v1/gamedays/${id}`)
      .set(stack.admin)
      .send({ schedule: { cron: '* * * * * *', timezone: 'UTC' } });
    expect(res.status).toBe(200);
    const run = await waitFor(
      'a run on the new pattern',
      () => prisma.run.findFirst({ where: { gameDayId: id } }),
      4000,
      50,
    );
    expect(run.gameDayVersion).toBe(2);
    expect(await cancelRunsAndDelete(stack.http, stack.admin, prisma, id)).toBe(200);
  });
});

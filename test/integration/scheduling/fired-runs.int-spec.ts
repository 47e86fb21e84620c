import { RunRepository, type FiredRun, type PrismaService } from '@gameday/db';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// The batched firing's statement on real Postgres (RunRepository.createFired): the run of each
// occurrence that may run, with its first event and its GameDay's bookkeeping; nothing for one
// edited since it was judged, one whose GameDay has a live run, one fired before, or one whose
// GameDay's row another session holds (skipped, not waited for).
describe('runs of occurrences fired together (real Postgres)', () => {
  const stack = useStack({ name: 'firedruns', worker: false });
  const { prisma } = stack;
  const runs = () => new RunRepository(prisma as PrismaService);
  const AT = new Date('2031-03-03T10:00:00.000Z');

  async function gameDay(schedule?: Record<string, unknown>): Promise<{ id: string; version: number }> {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(AT, { name: `fired-${randomUUID()}`, ...(schedule ? { schedule } : {}) }));
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id: res.body.id } });
    return { id: row.id, version: row.version };
  }

  const fired = (g: { id: string; version: number }, at = AT, next: Date | null = null): FiredRun => ({
    run: { gameDayId: g.id, scheduledFor: at, trigger: 'schedule', gameDayVersion: g.version },
    event: {
      type: 'occurrence.fired',
      phase: 'scheduled',
      plannedAt: at,
      message: 'fired 12 ms after its instant',
      data: { lateMs: 12, trigger: 'schedule' },
    },
    nextRunAt: next,
    finished: next === null,
  });

  it('creates what may run, with its event and bookkeeping, and nothing for the others', async () => {
    const [ok, edited, held, live, before, recurring] = await Promise.all([
      gameDay(),
      gameDay(),
      gameDay(),
      gameDay(),
      gameDay(),
      gameDay({ cron: '0 10 * * MON', timezone: 'UTC' }),
    ]);
    const base = { trigger: 'schedule' as const, spec: {}, gameDayVersion: 1 };
    await prisma.run.create({
      data: { ...base, gameDayId: live.id, scheduledFor: new Date(AT.getTime() - 60_000), status: 'baseline' },
    });
    await prisma.run.create({ data: { ...base, gameDayId: before.id, scheduledFor: AT, status: 'completed' } });
    const next = new Date('2031-03-10T10:00:00.000Z');

    const holder = new Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    let created;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM "GameDay" WHERE id = $1 FOR UPDATE', [held.id]);
      // returns while the row is still held: a wait would end in the transaction's timeout
      created = await runs().createFired([
        fired(ok),
        fired({ ...edited, version: edited.version + 1 }),
        fired(held),
        fired(live),
        fired(before),
        fired(recurring, new Date('2031-03-03T10:00:00.000Z'), next),
      ]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(created.map((r) => r?.gameDayId ?? null)).toEqual([ok.id, null, null, null, null, recurring.id]);

    const run = await prisma.run.findUniqueOrThrow({ where: { id: created[0]!.id }, include: { events: true } });
    const okRow = await prisma.gameDay.findUniqueOrThrow({ where: { id: ok.id } });
    expect(run).toMatchObject({
      status: 'scheduled',
      trigger: 'schedule',
      gameDayVersion: ok.version,
      scheduledFor: AT,
    });
    expect(run.spec).toEqual(okRow.spec);
    // the row handed to the launcher reads as Prisma's would (its spec names the engine's queue)
    const { events: _events, ...row } = run;
    expect(created[0]).toEqual({ ...row, spec: okRow.spec });
    expect(created[0]!.createdAt.getTime()).toBe(run.createdAt.getTime());
    expect(run.events).toEqual([
      expect.objectContaining({
        type: 'occurrence.fired',
        phase: 'scheduled',
        plannedAt: AT,
        message: 'fired 12 ms after its instant',
        data: { lateMs: 12, trigger: 'schedule' },
      }),
    ]);
    expect(okRow).toMatchObject({ status: 'finished', nextRunAt: null });
    expect(await prisma.gameDay.findUniqueOrThrow({ where: { id: recurring.id } })).toMatchObject({
      status: 'active',
      nextRunAt: next,
    });
    // the others are as they were: no run, no bookkeeping
    for (const g of [edited, held]) expect(await prisma.run.count({ where: { gameDayId: g.id } })).toBe(0);
    expect(await prisma.run.count({ where: { gameDayId: live.id } })).toBe(1);
    expect(await prisma.run.count({ where: { gameDayId: before.id } })).toBe(1);
    for (const g of [edited, held, live, before])
      expect(await prisma.gameDay.findUniqueOrThrow({ where: { id: g.id } })).toMatchObject({ status: 'active' });

    // the same occurrences again: all fired before
    expect(await runs().createFired([fired(ok), fired(recurring)])).toEqual([null, null]);
  });

  it('refuses two occurrences of one GameDay in a batch', async () => {
    const g = await gameDay({ cron: '0 10 * * *', timezone: 'UTC' });
    await expect(runs().createFired([fired(g), fired(g, new Date(AT.getTime() + 86_400_000))])).rejects.toThrow(
      /one occurrence per GameDay/,
    );
  });
});

import { randomUUID } from 'node:crypto';
import { minimalGameDay, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// The scale bench's correctness half at a size CI affords: a fleet of 2 000 GameDays, 200 of them
// due at one instant, two workers consuming the same queue. Every occurrence fires exactly once.
const FLEET = 1_800;
const DUE = 200;
const marker = `fleet-${randomUUID().slice(0, 8)}`;

describe('a fleet: 200 occurrences due at once on two workers fire exactly once each (real Postgres + Redis + BullMQ)', () => {
  const stack = useStack({ name: 'fleetburst', marker });
  const { prisma } = stack;

  beforeAll(async () => {
    // the rest of the fleet, written in one statement: one createdAt for all (ties for the keyset)
    const at = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const spec = minimalGameDay(at, { name: `${marker} background` });
    await prisma.gameDay.createMany({
      data: Array.from({ length: FLEET }, (_, i) => ({
        name: `${marker} background ${i}`,
        environment: marker,
        timezone: 'UTC',
        scheduleKind: 'at' as const,
        runAt: new Date(at),
        nextRunAt: new Date(at),
        spec,
      })),
    });
    await stack.startWorker('stop-at-arming');
    await stack.startWorker('stop-at-arming');
  });

  it('the fleet pages by keyset: every GameDay once, ties on createdAt included', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await stack.http
        .get('/api/v1/gamedays')
        .set(stack.admin)
        .query({ limit: 100, environment: marker, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      for (const g of res.body.items as { id: string }[]) seen.add(g.id);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen.size).toBe(FLEET);
    expect(pages).toBe(FLEET / 100);
  });

  it('200 one-shots due at the same instant: one run each, none twice, none lost', async () => {
    const at = new Date(Math.ceil((Date.now() + 15_000) / 1000) * 1000);
    const ids: string[] = [];
    // eight requests at a time, as a provisioning script would
    for (let i = 0; i < DUE; i += 8) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(8, DUE - i) }, (_, j) =>
          stack.http
            .post('/api/v1/gamedays')
            .set(stack.admin)
            .send(minimalGameDay(at, { name: `${marker} due ${i + j}` })),
        ),
      );
      for (const res of batch) {
        expect(res.status).toBe(201);
        ids.push(res.body.id as string);
      }
    }
    if (Date.now() > at.getTime() - 1_000) throw new Error('creating the due GameDays ran past their instant');

    await waitFor(
      `${DUE} runs`,
      async () => (await prisma.run.count({ where: { gameDayId: { in: ids } } })) >= DUE,
      at.getTime() - Date.now() + 30_000,
      250,
    );
    // a second firing would come from a re-delivered job: give it time to show
    await new Promise((r) => setTimeout(r, 2_000));
    const perOccurrence = await prisma.run.groupBy({
      by: ['gameDayId', 'scheduledFor'],
      where: { gameDayId: { in: ids } },
      _count: { _all: true },
    });
    expect(perOccurrence).toHaveLength(DUE);
    expect(perOccurrence.filter((r) => r._count._all !== 1)).toEqual([]);
    expect(new Set(perOccurrence.map((r) => r.scheduledFor.getTime()))).toEqual(new Set([at.getTime()]));
    // every run handed over: a busy CI's pool takes seconds for 200 launches, but a launch lost
    // would only be found by the reconciler one interval (30 s) later, past this wait
    const notArming = () => prisma.run.count({ where: { gameDayId: { in: ids }, status: { not: 'arming' } } });
    await waitFor('every run handed over (arming)', async () => (await notArming()) === 0, 20_000, 250).catch(
      () => undefined,
    );
    const runs = await prisma.run.findMany({ where: { gameDayId: { in: ids } }, select: { status: true } });
    expect(runs.filter((r) => r.status !== 'arming')).toEqual([]);
    // none of the fleet's other GameDays fired
    expect(await prisma.run.count({ where: { gameDay: { environment: marker } } })).toBe(0);
  });
});

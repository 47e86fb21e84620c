import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { minimalGameDay, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// A firing whose transaction fails (here: the GameDay's row held by another session past the
// transaction's 5 s timeout, as a burst's connection wait can) is tried again: before, the failed
// fire job stayed in Redis, the reconciler saw it as present, and the occurrence was lost.
describe('a failed firing is tried again (real Postgres + Redis + BullMQ)', () => {
  const stack = useStack({ name: 'fireretry', worker: 'stop-at-arming' });
  const { prisma } = stack;

  it('the occurrence gets its run once the row is free again', async () => {
    const at = new Date(Math.ceil((Date.now() + 3_000) / 1000) * 1000);
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(at, { name: `retry-${randomUUID()}` }));
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    stack.gameDayIds.push(id);

    const holder = new Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM "GameDay" WHERE id = $1 FOR UPDATE', [id]);
      // past the instant and the firing transaction's timeout (5 s)
      await new Promise((r) => setTimeout(r, at.getTime() - Date.now() + 7_000));
      expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(0);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await waitFor(
      'the retried firing',
      async () => (await prisma.run.count({ where: { gameDayId: id } })) === 1,
      20_000,
      100,
    );
    const run = await prisma.run.findFirstOrThrow({ where: { gameDayId: id } });
    expect(run.scheduledFor.getTime()).toBe(at.getTime());
  });
});

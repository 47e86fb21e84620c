import { minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

/**
 * One live run per GameDay, enforced by the database under the GameDay's row lock: two quick
 * run-now calls (or a cron occurrence while the previous run still runs) start one run, not two.
 * No worker here: the first run stays `scheduled`, which is live.
 */
const stack = useStack({ name: 'one-live-run' });
const { prisma, gameDayIds: ids } = stack;

// the first run stays live (no worker): cancelled before its GameDay goes
stack.beforeClose(() => prisma.run.updateMany({ where: { gameDayId: { in: ids } }, data: { status: 'cancelled' } }));

async function newGameDay(): Promise<string> {
  const res = await stack.http
    .post('/api/v1/gamedays')
    .set(stack.admin)
    .send(minimalGameDay(new Date(Date.now() + 3_600_000), { name: `one-live-${Date.now()}-${Math.random()}` }));
  expect(res.status).toBe(201);
  stack.gameDayIds.push(res.body.id);
  return res.body.id as string;
}

it('refuses a second run-now while the first run has not ended', async () => {
  const id = await newGameDay();
  const first = await stack.http.post(`/api/v1/gamedays/${id}/runs`).set(stack.admin).send({});
  expect(first.status).toBe(201);
  const second = await stack.http.post(`/api/v1/gamedays/${id}/runs`).set(stack.admin).send({});
  expect(second.status).toBe(409);
  expect(second.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(second.body.detail).toContain(first.body.id);
  expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(1);
});

it('starts exactly one run when run-now calls race', async () => {
  const id = await newGameDay();
  const statuses = await Promise.all(
    Array.from({ length: 5 }, () =>
      stack.http
        .post(`/api/v1/gamedays/${id}/runs`)
        .set(stack.admin)
        .send({})
        .then((r) => r.status),
    ),
  );
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(4);
  expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(1);
});

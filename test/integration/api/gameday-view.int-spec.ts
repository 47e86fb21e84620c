import type { Prisma } from '@gameday/db';
import { randomUUID } from 'node:crypto';
import { minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// What the web UI reads beside the spec: upcoming occurrences (with the blackout that skips one),
// the reveal time and per-run figures for trends, from real Postgres through the real API.
describe('GameDay and run views for the web UI (real Postgres + Redis)', () => {
  const stack = useStack({ name: 'gdview' });
  const { prisma } = stack;

  it('lists the next five occurrences and marks the one a blackout skips', async () => {
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(
        minimalGameDay(new Date(), {
          name: `view-${randomUUID()}`,
          schedule: { cron: '0 10 * * *', timezone: 'Australia/Sydney' },
          // the third daily occurrence from now falls in this blackout
          blackouts: [{ name: 'freeze', timezone: 'UTC', start: '2000-01-01T00:00:00Z', end: '2000-01-02T00:00:00Z' }],
        }),
      );
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);
    const body = (await stack.http.get(`/api/v1/gamedays/${created.body.id}`).set(stack.admin)).body;
    const upcoming = body.upcoming as { at: string; skippedBy: string | null }[];
    expect(upcoming).toHaveLength(5);
    expect(upcoming[0].at).toBe(body.nextRunAt);
    // 10:00 in Sydney, one day apart
    expect(new Set(upcoming.map((o) => new Date(o.at).toISOString().slice(11, 16))).size).toBeLessThanOrEqual(2);
    expect(Date.parse(upcoming[1].at) - Date.parse(upcoming[0].at)).toBeGreaterThanOrEqual(23 * 3600_000);
    expect(upcoming.every((o) => o.skippedBy === null)).toBe(true);
    expect(body.revealedAt).toBeNull();

    const third = Date.parse(upcoming[2].at);
    const patched = await stack.http
      .patch(`/api/v1/gamedays/${created.body.id}`)
      .set(stack.admin)
      .send({
        blackouts: [
          {
            name: 'freeze',
            timezone: 'UTC',
            start: new Date(third - 60_000).toISOString(),
            end: new Date(third + 60_000).toISOString(),
          },
        ],
      });
    expect(patched.status).toBe(200);
    expect(patched.body.upcoming.map((o: { skippedBy: string | null }) => o.skippedBy !== null)).toEqual([
      false,
      false,
      true,
      false,
      false,
    ]);
    expect(patched.body.upcoming[2].skippedBy).toMatch(/blackout "freeze"/);
  });

  it('gives each run in the history its deviation, time to recover and p95 per window', async () => {
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `view-${randomUUID()}` }));
    stack.gameDayIds.push(created.body.id);
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    const p95 = (ms: number) => ({ count: 10, errors: 0, errorRate: 0, p95Ms: ms });
    await prisma.run.create({
      data: {
        gameDayId: gameDay.id,
        scheduledFor: new Date(Date.now() - 600_000),
        trigger: 'manual',
        status: 'completed',
        spec: gameDay.spec as Prisma.InputJsonValue,
        gameDayVersion: gameDay.version,
        finishedAt: new Date(),
        verdict: 'hypothesis_held',
        result: {
          deviationRatio: 15.5,
          experiments: [
            { index: 0, stats: { baseline: p95(20), fault: p95(310), recovery: p95(25) }, timeToRecoverMs: 140 },
          ],
        },
      },
    });
    const runs = await stack.http.get(`/api/v1/gamedays/${gameDay.id}/runs`).set(stack.admin);
    expect(runs.body.items[0].summary).toEqual({
      deviationRatio: 15.5,
      timeToRecoverMs: 140,
      p95Ms: { baseline: 20, fault: 310, recovery: 25 },
      // the stored experiment carries no verdict of its own: nothing to score
      score: null,
    });
    const one = await stack.http.get(`/api/v1/runs/${runs.body.items[0].id}`).set(stack.admin);
    expect(one.body.plan.experiments[0].injectAt - one.body.plan.startAt).toBe(30_000);
  });
});

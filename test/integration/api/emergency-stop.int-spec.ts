import { ABORT_QUEUE, FAULT_JOBS } from '@gameday/queue';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

describe('emergency stop (real Postgres + Redis)', () => {
  const stack = useStack({ name: 'abort', users: ['viewer'] });
  const { prisma } = stack;
  const abortQueue = () => stack.api.get<Queue>(ABORT_QUEUE);

  async function gameDayWithRun(status: 'injecting' | 'completed') {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `abort-${randomUUID()}` }));
    stack.gameDayIds.push(res.body.id);
    return prisma.run.create({
      data: { gameDayId: res.body.id, scheduledFor: new Date(), status, spec: {}, gameDayVersion: 1 },
    });
  }

  it('records the request on the run and queues an abort job on the abort queue (no priority: nothing else waits there)', async () => {
    const run = await gameDayWithRun('injecting');
    const res = await stack.http
      .post(`/api/v1/runs/${run.id}/abort`)
      .set(stack.admin)
      .send({ reason: 'latency spilled into checkout' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ runId: run.id, status: 'requested' });
    const row = await prisma.run.findUniqueOrThrow({ where: { id: run.id }, include: { events: true } });
    expect(row.abortReason).toBe('latency spilled into checkout');
    expect(row.abortRequestedAt).not.toBeNull();
    expect(row.events.map((e) => e.type)).toEqual(['run.abort_requested']);
    const jobs = await abortQueue().getJobs(['waiting']);
    expect(jobs.find((j) => j.data.runId === run.id)).toMatchObject({
      name: FAULT_JOBS.abort,
      data: { reason: 'latency spilled into checkout' },
    });

    // again: idempotent on the run (first time kept), another revert pass queued
    const again = await stack.http.post(`/api/v1/runs/${run.id}/abort`).set(stack.admin).send();
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('already_requested');
    expect((await prisma.run.findUniqueOrThrow({ where: { id: run.id } })).abortRequestedAt).toEqual(
      row.abortRequestedAt,
    );
  });

  it('refuses a run that has ended (409), an unknown run (404) and viewers (403)', async () => {
    const ended = await gameDayWithRun('completed');
    expect((await stack.http.post(`/api/v1/runs/${ended.id}/abort`).set(stack.admin).send()).status).toBe(409);
    expect((await stack.http.post(`/api/v1/runs/${randomUUID()}/abort`).set(stack.admin).send()).status).toBe(404);
    expect((await stack.http.post(`/api/v1/runs/${ended.id}/abort`).set(stack.as('viewer')).send()).status).toBe(403);
    const bad = await stack.http
      .post(`/api/v1/runs/${ended.id}/abort`)
      .set(stack.admin)
      .send({ reason: '', force: true });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['force', 'reason']);
  });

  it('abort-all queues one job for every lease and marks every unfinished run', async () => {
    const run = await gameDayWithRun('injecting');
    const res = await stack.http.post('/api/v1/abort-all').set(stack.admin).send({ reason: 'stop everything' });
    expect(res.status).toBe(202);
    expect(res.body.runIds).toContain(run.id);
    const jobs = await abortQueue().getJobs(['waiting']);
    expect(
      jobs.some(
        (j) => j.name === FAULT_JOBS.abort && j.data.runId === undefined && j.data.reason === 'stop everything',
      ),
    ).toBe(true);
    expect((await prisma.run.findUniqueOrThrow({ where: { id: run.id } })).abortReason).toBe('stop everything');
  });
});

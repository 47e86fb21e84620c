import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { minimalGameDay, waitFor, withRunTimeline } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import {
  REFUSING_REDIS_URL,
  isPaused,
  pauseGameDay,
  removeContainers,
  startTarget,
  undrivenPausedRun,
} from './control-support';

// The emergency stop must land with Redis down: the API records it in Postgres first and the
// worker honours the record (executor polling, reaper). Here the second API instance sees a Redis
// that refuses connections; the worker keeps its own working Redis. Real Postgres, Redis, Docker.
jest.setTimeout(90_000);

describe('emergency stop with Redis down for the API', () => {
  const stack = useStack({ name: 'ctl-abort-down', worker: 'real' });
  const { prisma } = stack;
  const containers: string[] = [];
  let apiNoRedis: INestApplication;

  beforeAll(async () => {
    apiNoRedis = await stack.startApi({ ...stack.config, REDIS_URL: REFUSING_REDIS_URL });
  });

  afterAll(() => removeContainers(containers));

  it('abort-all answers 202, is recorded, and the worker reverts every active fault within 5 s', async () => {
    const driven = await startTarget('abort-driven');
    const undriven = await startTarget('abort-undriven');
    containers.push(driven.name, undriven.name);

    // a run driven by the executor, in its fault window
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(pauseGameDay(driven, { baseline: '3s', fault: '60s', recovery: '1s' }));
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);
    const started = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin).send({});
    expect(started.status).toBe(201);
    const drivenRun = started.body.id as string;
    await waitFor('the driven fault', async () => (await isPaused(driven.name)) || null, 20_000, 50).catch(
      withRunTimeline(prisma, drivenRun),
    );

    // a fault whose run no executor drives any more (its worker died): only the ledger knows it
    const other = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `ctl-undriven-${randomUUID()}` }));
    stack.gameDayIds.push(other.body.id);
    const undrivenRun = await undrivenPausedRun(prisma, other.body.id, undriven.name);
    expect(await isPaused(undriven.name)).toBe(true);

    const requested = Date.now();
    const res = await request(apiNoRedis.getHttpServer())
      .post('/api/v1/abort-all')
      .set(stack.admin)
      .send({ reason: 'redis is down and so is checkout' })
      .timeout(10_000);
    const answeredMs = Date.now() - requested;
    expect(res.status).toBe(202);
    expect(res.body.queued).toBe(false);
    expect(res.body.runIds).toEqual(expect.arrayContaining([drivenRun, undrivenRun]));
    expect(answeredMs).toBeLessThan(3_000);
    for (const id of [drivenRun, undrivenRun]) {
      const row = await prisma.run.findUniqueOrThrow({ where: { id } });
      expect(row.abortReason).toBe('redis is down and so is checkout');
      expect(row.abortRequestedAt).not.toBeNull();
    }

    await waitFor(
      'every fault reverted',
      async () => (!(await isPaused(driven.name)) && !(await isPaused(undriven.name))) || null,
      5_000,
      25,
    );
    const tookMs = Date.now() - requested;
    expect(tookMs).toBeLessThan(5_000);
    // the ledger records a revert once the engine has confirmed it: moments after the container is
    // seen running again (more under a loaded machine), within the same 5 s
    await waitFor(
      'the ledger to close both leases',
      async () =>
        (await prisma.activeFault.count({
          where: { runId: { in: [drivenRun, undrivenRun] }, revertedAt: null },
        })) === 0 || null,
      Math.max(0, 5_000 - (Date.now() - requested)),
      25,
    );
    console.log(
      `abort-all with Redis down for the API: answered in ${answeredMs} ms, every fault reverted ${tookMs} ms and recorded ${Date.now() - requested} ms after the request`,
    );
    const finished = await waitFor(
      'the driven run to end',
      async () => {
        const r = await prisma.run.findUnique({ where: { id: drivenRun } });
        return r && ['aborted', 'failed', 'completed'].includes(r.status) ? r : null;
      },
      15_000,
      100,
    );
    expect(finished.status).toBe('aborted');
  });

  it('a single run abort answers 202 with Redis down and is honoured from Postgres', async () => {
    const target = await startTarget('abort-one');
    containers.push(target.name);
    const other = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `ctl-one-${randomUUID()}` }));
    stack.gameDayIds.push(other.body.id);
    const runId = await undrivenPausedRun(prisma, other.body.id, target.name);
    const requested = Date.now();
    const res = await request(apiNoRedis.getHttpServer())
      .post(`/api/v1/runs/${runId}/abort`)
      .set(stack.admin)
      .send({ reason: 'pager' })
      .timeout(10_000);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ runId, status: 'requested', queued: false });
    await waitFor('the fault reverted', async () => !(await isPaused(target.name)) || null, 5_000, 25);
    console.log(`run abort with Redis down for the API: reverted ${Date.now() - requested} ms after the request`);
  });
});

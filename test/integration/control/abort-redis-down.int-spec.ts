import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createWorkerApp } from '../../../apps/worker/src/bootstrap';
import {
  ADMIN_TOKEN,
  deleteGameDays,
  deleteQueueKeys,
  minimalGameDay,
  startApi,
  testConfig,
  testPrisma,
  waitFor,
} from '../../support/harness';
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
  const config = testConfig('ctl-abort-down');
  const prisma = testPrisma();
  const ids: string[] = [];
  const containers: string[] = [];
  let api: INestApplication;
  let apiNoRedis: INestApplication;
  let worker: INestApplicationContext;
  const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeAll(async () => {
    api = await startApi(config);
    apiNoRedis = await startApi({ ...config, REDIS_URL: REFUSING_REDIS_URL });
    worker = await createWorkerApp(config, { logger: false });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await apiNoRedis?.close();
    await removeContainers(containers);
    await prisma.activeFault.deleteMany({ where: { run: { gameDayId: { in: ids } } } });
    await deleteGameDays(prisma, ids);
    await prisma.$disconnect();
    await deleteQueueKeys(config);
  });

  it('abort-all answers 202, is recorded, and the worker reverts every active fault within 5 s', async () => {
    const driven = await startTarget('abort-driven');
    const undriven = await startTarget('abort-undriven');
    containers.push(driven.name, undriven.name);
    const http = request(api.getHttpServer());

    // a run driven by the executor, in its fault window
    const created = await http
      .post('/api/v1/gamedays')
      .set(auth)
      .send(pauseGameDay(driven, { baseline: '3s', fault: '60s', recovery: '1s' }));
    expect(created.status).toBe(201);
    ids.push(created.body.id);
    const started = await http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(auth).send({});
    expect(started.status).toBe(201);
    const drivenRun = started.body.id as string;
    await waitFor('the driven fault', async () => (await isPaused(driven.name)) || null, 20_000, 50);

    // a fault whose run no executor drives any more (its worker died): only the ledger knows it
    const other = await http
      .post('/api/v1/gamedays')
      .set(auth)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `ctl-undriven-${randomUUID()}` }));
    ids.push(other.body.id);
    const undrivenRun = await undrivenPausedRun(prisma, other.body.id, undriven.name);
    expect(await isPaused(undriven.name)).toBe(true);

    const requested = Date.now();
    const res = await request(apiNoRedis.getHttpServer())
      .post('/api/v1/abort-all')
      .set(auth)
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
    console.log(
      `abort-all with Redis down for the API: answered in ${answeredMs} ms, every fault reverted ${tookMs} ms after the request`,
    );
    expect(tookMs).toBeLessThan(5_000);
    expect(
      await prisma.activeFault.count({ where: { runId: { in: [drivenRun, undrivenRun] }, revertedAt: null } }),
    ).toBe(0);
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
    const other = await request(api.getHttpServer())
      .post('/api/v1/gamedays')
      .set(auth)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `ctl-one-${randomUUID()}` }));
    ids.push(other.body.id);
    const runId = await undrivenPausedRun(prisma, other.body.id, target.name);
    const requested = Date.now();
    const res = await request(apiNoRedis.getHttpServer())
      .post(`/api/v1/runs/${runId}/abort`)
      .set(auth)
      .send({ reason: 'pager' })
      .timeout(10_000);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ runId, status: 'requested', queued: false });
    await waitFor('the fault reverted', async () => !(await isPaused(target.name)) || null, 5_000, 25);
    console.log(`run abort with Redis down for the API: reverted ${Date.now() - requested} ms after the request`);
  });
});

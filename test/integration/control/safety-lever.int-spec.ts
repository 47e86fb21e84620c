import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createWorkerApp } from '../../../apps/worker/src/bootstrap';
import { RunExecuteWorker } from '../../../apps/worker/src/runner/run-execute.worker';
import {
  ADMIN_TOKEN,
  deleteGameDays,
  deleteQueueKeys,
  startApi,
  testConfig,
  testPrisma,
  waitFor,
} from '../../support/harness';
import { isPaused, pauseGameDay, removeContainers, startTarget } from './control-support';

// The safety lever: one switch that aborts every running run and blocks firing, launching and
// arming until an admin releases it. Real Postgres, Redis, BullMQ and Docker (pause faults).
jest.setTimeout(120_000);

describe('safety lever', () => {
  const config = testConfig('ctl-lever');
  const prisma = testPrisma();
  const ids: string[] = [];
  const tokenIds: string[] = [];
  const containers: string[] = [];
  let api: INestApplication;
  let worker: INestApplicationContext;
  let http: ReturnType<typeof request>;
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  let operator: Record<string, string>;
  let viewer: Record<string, string>;

  async function token(role: 'viewer' | 'operator') {
    const t = await http
      .post('/api/v1/tokens')
      .set(admin)
      .send({ name: `ctl-lever-${role}-${randomUUID()}`, role });
    tokenIds.push(t.body.id);
    return { Authorization: `Bearer ${t.body.token}` };
  }

  async function createGameDay(body: Record<string, unknown>): Promise<string> {
    const res = await http.post('/api/v1/gamedays').set(admin).send(body);
    expect(res.status).toBe(201);
    ids.push(res.body.id);
    return res.body.id as string;
  }

  const ended = (runId: string) =>
    waitFor(
      'the run to end',
      async () => {
        const r = await prisma.run.findUnique({ where: { id: runId }, include: { events: true } });
        return r && ['aborted', 'failed', 'completed'].includes(r.status) ? r : null;
      },
      20_000,
      100,
    );

  beforeAll(async () => {
    api = await startApi(config);
    worker = await createWorkerApp(config, { logger: false });
    http = request(api.getHttpServer());
    operator = await token('operator');
    viewer = await token('viewer');
    await http.delete('/api/v1/safety-lever').set(admin);
  });

  afterAll(async () => {
    await http?.delete('/api/v1/safety-lever').set(admin);
    await worker?.close();
    await api?.close();
    await removeContainers(containers);
    await prisma.activeFault.deleteMany({ where: { run: { gameDayId: { in: ids } } } });
    await deleteGameDays(prisma, ids);
    await prisma.apiToken.deleteMany({ where: { id: { in: tokenIds } } });
    await prisma.$disconnect();
    await deleteQueueKeys(config);
  });

  it('aborts the running run and blocks firing and launching until an admin releases it', async () => {
    const target = await startTarget('lever');
    containers.push(target.name);
    const running = await createGameDay(pauseGameDay(target, { baseline: '3s', fault: '60s', recovery: '1s' }));
    const started = await http.post(`/api/v1/gamedays/${running}/runs`).set(operator).send({});
    expect(started.status).toBe(201);
    const runId = started.body.id as string;
    await waitFor('the fault', async () => (await isPaused(target.name)) || null, 20_000, 50);
    // an occurrence due while the lever is engaged
    const dueAt = new Date(Date.now() + 5_000);
    const due = await createGameDay({
      ...pauseGameDay(target, { baseline: '1s', fault: '1s', recovery: '1s' }),
      schedule: { at: dueAt.toISOString() },
    });

    expect((await http.post('/api/v1/safety-lever').set(viewer).send({ reason: 'x' })).status).toBe(403);
    const bad = await http.post('/api/v1/safety-lever').set(operator).send({});
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason']);

    const pulled = Date.now();
    const engaged = await http.post('/api/v1/safety-lever').set(operator).send({ reason: 'checkout is down' });
    expect(engaged.status).toBe(202);
    expect(engaged.body).toMatchObject({ engaged: true, reason: 'checkout is down' });
    expect(engaged.body.abortedRunIds).toContain(runId);
    await waitFor('the revert', async () => !(await isPaused(target.name)) || null, 5_000, 20);
    console.log(`safety lever: running fault reverted ${Date.now() - pulled} ms after it was pulled`);
    const aborted = await ended(runId);
    expect(aborted.status).toBe('aborted');
    expect(aborted.abortReason).toMatch(/safety lever engaged: checkout is down/);

    const state = await http.get('/api/v1/safety-lever').set(viewer);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ engaged: true, reason: 'checkout is down', engagedBy: expect.any(String) });

    const refused = await http.post(`/api/v1/gamedays/${running}/runs`).set(operator).send({});
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.type).toBe('urn:gameday:problem:safety-lever-engaged');

    const skipped = await waitFor(
      'the due occurrence to be recorded',
      async () => prisma.run.findFirst({ where: { gameDayId: due } }),
      20_000,
      100,
    );
    expect(skipped.status).toBe('skipped');
    expect(skipped.error).toBe('safety lever engaged: checkout is down');

    // visible on GameDay and run views, exported as a gauge
    const gameDayView = await http.get(`/api/v1/gamedays/${running}`).set(viewer);
    expect(gameDayView.body.safetyLever).toMatchObject({ engaged: true, reason: 'checkout is down' });
    const list = await http.get('/api/v1/gamedays?limit=1').set(viewer);
    expect(list.body.items[0].safetyLever.engaged).toBe(true);
    const runView = await http.get(`/api/v1/runs/${runId}`).set(viewer);
    expect(runView.body.safetyLever).toMatchObject({ engaged: true });
    expect((await http.get('/metrics')).text).toMatch(/^gameday_safety_lever_engaged 1$/m);

    // only an admin releases it
    expect((await http.delete('/api/v1/safety-lever').set(operator)).status).toBe(403);
    const released = await http.delete('/api/v1/safety-lever').set(admin);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ engaged: false, releasedBy: 'bootstrap-admin' });
    expect((await http.get('/metrics')).text).toMatch(/^gameday_safety_lever_engaged 0$/m);
    const again = await http.post(`/api/v1/gamedays/${running}/runs`).set(operator).send({});
    expect(again.status).toBe(201);
    await http.post(`/api/v1/runs/${again.body.id}/abort`).set(operator).send({ reason: 'test over' });
    await ended(again.body.id);
  });

  it('the executor refuses to arm while the lever is engaged', async () => {
    const target = await startTarget('lever-arm');
    containers.push(target.name);
    const id = await createGameDay(pauseGameDay(target, { baseline: '2s', fault: '5s', recovery: '1s' }));
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id } });
    expect((await http.post('/api/v1/safety-lever').set(operator).send({ reason: 'freeze' })).status).toBe(202);
    // a run that got past firing and launching (created just before the lever was pulled)
    const run = await prisma.run.create({
      data: {
        gameDayId: id,
        scheduledFor: new Date(),
        status: 'scheduled',
        spec: gameDay.spec as object,
        gameDayVersion: gameDay.version,
      },
    });
    await worker.get(RunExecuteWorker).launch(run);
    const done = await ended(run.id);
    expect(done.status).toBe('aborted');
    expect(done.abortReason).toMatch(/safety lever engaged: freeze/);
    expect(done.events.map((e) => e.type)).not.toContain('fault.armed');
    expect(await prisma.activeFault.count({ where: { runId: run.id } })).toBe(0);
    expect(await isPaused(target.name)).toBe(false);
    expect((await http.delete('/api/v1/safety-lever').set(admin)).status).toBe(200);
  });
});

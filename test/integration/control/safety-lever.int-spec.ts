import { RunExecuteWorker } from '../../../apps/worker/src/runner/run-execute.worker';
import { waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { isPaused, pauseGameDay, removeContainers, startTarget } from './control-support';

// The safety lever: one switch that aborts every running run and blocks firing, launching and
// arming until an admin releases it. Real Postgres, Redis, BullMQ and Docker (pause faults).
jest.setTimeout(120_000);

describe('safety lever', () => {
  const stack = useStack({ name: 'ctl-lever', worker: 'real', users: ['operator', 'viewer'] });
  const { prisma } = stack;
  const containers: string[] = [];
  const operator = () => stack.as('operator');
  const viewer = () => stack.as('viewer');

  async function createGameDay(body: Record<string, unknown>): Promise<string> {
    const res = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body);
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
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
    await stack.http.delete('/api/v1/safety-lever').set(stack.admin);
  });
  stack.beforeClose(async () => {
    await stack.http.delete('/api/v1/safety-lever').set(stack.admin);
  });

  afterAll(() => removeContainers(containers));

  it('aborts the running run and blocks firing and launching until an admin releases it', async () => {
    const target = await startTarget('lever');
    containers.push(target.name);
    const running = await createGameDay(pauseGameDay(target, { baseline: '3s', fault: '60s', recovery: '1s' }));
    const started = await stack.http.post(`/api/v1/gamedays/${running}/runs`).set(operator()).send({});
    expect(started.status).toBe(201);
    const runId = started.body.id as string;
    await waitFor('the fault', async () => (await isPaused(target.name)) || null, 20_000, 50);
    // an occurrence due while the lever is engaged
    const dueAt = new Date(Date.now() + 5_000);
    const due = await createGameDay({
      ...pauseGameDay(target, { baseline: '1s', fault: '1s', recovery: '1s' }),
      schedule: { at: dueAt.toISOString() },
    });

    expect((await stack.http.post('/api/v1/safety-lever').set(viewer()).send({ reason: 'x' })).status).toBe(403);
    const bad = await stack.http.post('/api/v1/safety-lever').set(operator()).send({});
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason']);

    const pulled = Date.now();
    const engaged = await stack.http.post('/api/v1/safety-lever').set(operator()).send({ reason: 'checkout is down' });
    expect(engaged.status).toBe(202);
    expect(engaged.body).toMatchObject({ engaged: true, reason: 'checkout is down' });
    expect(engaged.body.abortedRunIds).toContain(runId);
    await waitFor('the revert', async () => !(await isPaused(target.name)) || null, 5_000, 20);
    console.log(`safety lever: running fault reverted ${Date.now() - pulled} ms after it was pulled`);
    const aborted = await ended(runId);
    expect(aborted.status).toBe('aborted');
    expect(aborted.abortReason).toMatch(/safety lever engaged: checkout is down/);

    const state = await stack.http.get('/api/v1/safety-lever').set(viewer());
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ engaged: true, reason: 'checkout is down', engagedBy: expect.any(String) });

    const refused = await stack.http.post(`/api/v1/gamedays/${running}/runs`).set(operator()).send({});
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
    const gameDayView = await stack.http.get(`/api/v1/gamedays/${running}`).set(viewer());
    expect(gameDayView.body.safetyLever).toMatchObject({ engaged: true, reason: 'checkout is down' });
    const list = await stack.http.get('/api/v1/gamedays?limit=1').set(viewer());
    expect(list.body.items[0].safetyLever.engaged).toBe(true);
    const runView = await stack.http.get(`/api/v1/runs/${runId}`).set(viewer());
    expect(runView.body.safetyLever).toMatchObject({ engaged: true });
    expect((await stack.http.get('/metrics')).text).toMatch(/^gameday_safety_lever_engaged 1$/m);

    // only an admin releases it
    expect((await stack.http.delete('/api/v1/safety-lever').set(operator())).status).toBe(403);
    const released = await stack.http.delete('/api/v1/safety-lever').set(stack.admin);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ engaged: false, releasedBy: 'bootstrap-admin' });
    expect((await stack.http.get('/metrics')).text).toMatch(/^gameday_safety_lever_engaged 0$/m);
    const again = await stack.http.post(`/api/v1/gamedays/${running}/runs`).set(operator()).send({});
    expect(again.status).toBe(201);
    await stack.http.post(`/api/v1/runs/${again.body.id}/abort`).set(operator()).send({ reason: 'test over' });
    await ended(again.body.id);
  });

  it('the executor refuses to arm while the lever is engaged', async () => {
    const target = await startTarget('lever-arm');
    containers.push(target.name);
    const id = await createGameDay(pauseGameDay(target, { baseline: '2s', fault: '5s', recovery: '1s' }));
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id } });
    expect((await stack.http.post('/api/v1/safety-lever').set(operator()).send({ reason: 'freeze' })).status).toBe(202);
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
    await stack.worker.get(RunExecuteWorker).launch(run);
    const done = await ended(run.id);
    expect(done.status).toBe('aborted');
    expect(done.abortReason).toMatch(/safety lever engaged: freeze/);
    expect(done.events.map((e) => e.type)).not.toContain('fault.armed');
    expect(await prisma.activeFault.count({ where: { runId: run.id } })).toBe(0);
    expect(await isPaused(target.name)).toBe(false);
    expect((await stack.http.delete('/api/v1/safety-lever').set(stack.admin)).status).toBe(200);
  });
});

import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { faultSchema, type FaultDriver } from '@gameday/core';
import { PrismaLeaseRepository } from '@gameday/db';
import { DockerFaultDriver, ensureWatchdogImage } from '@gameday/faults';
import { FAULT_JOBS, QUEUES, RUNNER_QUEUES, engineQueue } from '@gameday/queue';
import { copyImages, ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { createWorkerApp } from '../../../apps/worker/src/bootstrap';
import { FaultJobs } from '../../../apps/worker/src/runner/fault-jobs.service';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { LeaseReaper } from '../../../apps/worker/src/runner/lease-reaper.service';
import { FAULT_DRIVER } from '../../../apps/worker/src/runner/runner.tokens';
import {
  ADMIN_TOKEN,
  deleteGameDays,
  deleteQueueKeys,
  startApi,
  testConfig,
  testPrisma,
  runEnded,
  waitFor,
} from '../../support/harness';
import { startSecondEngine, type SecondEngine } from '../../support/second-engine';

// N workers serving M Docker hosts: two real engines on this machine (a second dockerd beside the
// first), a worker on each, one API, one Postgres and one Redis. A container of the same name
// runs on both engines and has opted in on both: a job taken by the wrong worker would fault the
// wrong one, or take a fault still in place for "already gone".
jest.setTimeout(180_000);

const docker1 = new Docker();
const NAME = `gd-two-engines-${randomUUID().slice(0, 8)}`;

describe('two Docker engines, a worker on each', () => {
  const config = testConfig('two-engines');
  const prisma = testPrisma();
  const leases = new PrismaLeaseRepository(prisma);
  const ledger = new LeaseLedger(leases);
  const ids: string[] = [];
  const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  let engine2: SecondEngine;
  let api: INestApplication;
  let workerA: INestApplicationContext;
  let workerB: INestApplicationContext | undefined;
  let http: ReturnType<typeof request>;
  let url2: string;
  let id1: string;
  const configB = () => ({ ...config, GAMEDAY_ENGINE_NAME: 'second', DOCKER_HOST: engine2.host });

  async function opted(docker: Docker): Promise<Docker.Container> {
    const image = await ensureLabTargetImage(docker);
    const c = await docker.createContainer({ name: NAME, Image: image, Labels: { 'gameday.enabled': 'true' } });
    await c.start();
    return c;
  }

  beforeAll(async () => {
    engine2 = await startSecondEngine();
    // a container fault's watchdog: the second engine has no Debian base to build it from, so it is
    // loaded there as one would onto any engine without the base (README: GAMEDAY_WATCHDOG_IMAGE)
    await copyImages(docker1, engine2.docker, [await ensureWatchdogImage(docker1)]);
    id1 = (await docker1.info()).ID;
    await opted(docker1); // the decoy: same name, opted in, on the first engine
    const c2 = await opted(engine2.docker);
    url2 = `http://${(await c2.inspect()).NetworkSettings.Networks.bridge.IPAddress}/`;
    api = await startApi(config);
    http = request(api.getHttpServer());
    workerA = await createWorkerApp(config, { logger: false });
    workerB = await createWorkerApp(configB(), { logger: false });
  });

  afterAll(async () => {
    await workerB?.close();
    await workerA?.close();
    await api?.close();
    await docker1
      .getContainer(NAME)
      .remove({ force: true })
      .catch(() => undefined);
    await engine2?.stop();
    await prisma.activeFault.deleteMany({ where: { containerName: NAME } });
    await deleteGameDays(prisma, ids);
    await prisma.$disconnect();
    await deleteQueueKeys(config);
  });

  const paused = async (docker: Docker) => (await docker.getContainer(NAME).inspect()).State.Paused;

  /** Polls both containers until stopped; says whether each was ever seen paused. */
  function watchPaused() {
    const seen = { engine1: false, engine2: false };
    let on = true;
    const loop = (async () => {
      while (on) {
        if (await paused(docker1)) seen.engine1 = true;
        if (await paused(engine2.docker)) seen.engine2 = true;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    return {
      stop: async () => {
        on = false;
        await loop;
        return seen;
      },
    };
  }

  async function gameDay(engine: string | undefined, fault = '3s') {
    const created = await http
      .post('/api/v1/gamedays')
      .set(auth)
      .send({
        name: `two-engines-${randomUUID()}`,
        timezone: 'UTC',
        schedule: { at: new Date(Date.now() + 60 * 60_000).toISOString() },
        ...(engine ? { engine } : {}),
        experiments: [
          {
            name: 'pause',
            hypothesis: {
              description: 'the target fails while paused',
              probes: [{ name: 'target', url: url2, timeoutMs: 300, interval: '200ms' }],
            },
            fault: { kind: 'container', target: { container: NAME }, action: 'pause' },
            // arming (a pause's watchdog) took over 1.5 s beside CI's other lanes: 5 s reserved
            durations: { arming: '5s', baseline: '2s', fault, recovery: '2s' },
          },
        ],
      });
    expect(created.status).toBe(201);
    ids.push(created.body.id);
    return created.body.id as string;
  }

  async function runNow(gameDayId: string): Promise<string> {
    const started = await http.post(`/api/v1/gamedays/${gameDayId}/runs`).set(auth).send({});
    expect(started.status).toBe(201);
    return started.body.id as string;
  }

  const finished = (runId: string) => runEnded(prisma, runId, 90_000);

  it('each worker knows its engine by its own daemon ID', () => {
    expect(engine2.id).not.toBe(id1);
    expect(workerA.get<FaultDriver>(FAULT_DRIVER).engine).toBe(id1);
    expect(workerB!.get<FaultDriver>(FAULT_DRIVER).engine).toBe(engine2.id);
  });

  it('a GameDay naming an engine resolves, faults and reverts there only (by name and by daemon ID)', async () => {
    for (const engine of ['second', engine2.id]) {
      const watch = watchPaused();
      const runId = await runNow(await gameDay(engine));
      const run = await finished(runId);
      const seen = await watch.stop();
      expect(run.error).toBeNull();
      expect(run.status).toBe('completed');
      expect(seen).toEqual({ engine1: false, engine2: true });
      const rows = await prisma.activeFault.findMany({ where: { runId } });
      expect(rows).toHaveLength(1);
      expect(rows[0].engine).toBe(engine2.id);
      expect(rows[0].revertedAt).not.toBeNull();
      expect(await paused(engine2.docker)).toBe(false);
    }
  });

  it('a GameDay naming no engine runs on the engine named "default" (the first)', async () => {
    const watch = watchPaused();
    const run = await finished(await runNow(await gameDay(undefined)));
    expect(run.status).toBe('completed'); // its probe (on engine 2's target) is not what this checks
    expect(await watch.stop()).toEqual({ engine1: true, engine2: false });
  });

  it('dry runs resolve targets on the engine the GameDay names', async () => {
    const second = await http
      .post(`/api/v1/gamedays/${await gameDay('second')}/dry-run`)
      .set(auth)
      .send();
    expect(second.status).toBe(200);
    expect(second.body.experiments[0].result.targets[0].target.engine).toBe(engine2.id);
    const first = await http
      .post(`/api/v1/gamedays/${await gameDay(undefined)}/dry-run`)
      .set(auth)
      .send();
    expect(first.status).toBe(200);
    expect(first.body.experiments[0].result.targets[0].target.engine).toBe(id1);
    const unknown = await http
      .post(`/api/v1/gamedays/${await gameDay('nowhere')}/dry-run`)
      .set(auth)
      .send();
    expect(unknown.status).toBe(504); // nobody serves that engine: no worker of another engine answers
    expect(unknown.body.detail).toMatch(/engine "nowhere"/);
  });

  /** A run no executor drives, holding a pause applied on engine 2 (only an abort, a revert job or the reaper end it). */
  async function undrivenPauseOnEngine2(expiresInMs: number, experimentIndex = 0) {
    const run = await prisma.run.create({
      data: {
        gameDayId: await gameDay('second'),
        scheduledFor: new Date(),
        status: 'observing',
        spec: {},
        gameDayVersion: 1,
      },
    });
    const driver2 = await DockerFaultDriver.connect(engine2.docker, {});
    const spec = faultSchema.parse({ kind: 'container', target: { container: NAME }, action: 'pause' });
    const [target] = (await driver2.resolveTargets(spec)).targets;
    const lease = await ledger.apply(
      driver2,
      await driver2.prepare(spec, target, {
        expiresAt: new Date(Date.now() + expiresInMs),
        runId: run.id,
        experimentIndex,
      }),
    );
    expect(await paused(engine2.docker)).toBe(true);
    return { runId: run.id, lease, driver2, spec };
  }

  it("an emergency stop taken by the first engine's worker is passed on to the second's, which reverts", async () => {
    const { runId, lease } = await undrivenPauseOnEngine2(60_000);
    // the second engine's worker is away: only the first can take the abort from the shared queue
    await workerB!.close();
    workerB = undefined;
    const abort = await http.post(`/api/v1/runs/${runId}/abort`).set(auth).send({ reason: 'two engines' });
    expect(abort.status).toBe(202);
    const own = new Queue(engineQueue(RUNNER_QUEUES.abort, engine2.id), {
      connection: { url: config.REDIS_URL },
      prefix: config.QUEUE_PREFIX,
    });
    try {
      const passed = await waitFor(
        'the abort passed on to engine 2',
        async () => (await own.getJobs(['waiting', 'active', 'completed'])).find((j) => j.data.runId === runId) ?? null,
        10_000,
        50,
      );
      expect(passed.name).toBe(FAULT_JOBS.abort);
      // the first engine's worker did not take the fault on engine 2 for "already gone"
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await paused(engine2.docker)).toBe(true);
      expect((await leases.get(lease.id))!.revertedAt).toBeNull();
      const back = Date.now();
      workerB = await createWorkerApp(configB(), { logger: false });
      await waitFor('engine 2 to revert the fault', async () => !(await paused(engine2.docker)), 15_000, 50);
      console.log(`abort passed on: fault on engine 2 reverted ${Date.now() - back} ms after its worker came back`);
      expect((await leases.get(lease.id))!.revertReason).toBe('abort');
      expect(await paused(docker1)).toBe(false);
    } finally {
      await own.close();
    }
  });

  it('delayed reverts and the reaper reach a lease only through its own engine', async () => {
    const { runId, driver2, spec } = await undrivenPauseOnEngine2(60_000);
    const run = { id: runId };
    // the executor on engine 2 schedules its reverts: none may be consumed by engine 1's worker
    await workerB!.get(FaultJobs).scheduleRevert(run.id, 0, new Date());
    await waitFor('revert job of round 0', async () => !(await paused(engine2.docker)), 10_000, 50);
    for (let round = 1; round < 4; round++) {
      const [target] = (await driver2.resolveTargets(spec)).targets;
      const prepared = await driver2.prepare(spec, target, {
        expiresAt: new Date(Date.now() + 60_000),
        runId: run.id,
        experimentIndex: round,
      });
      await ledger.apply(driver2, prepared);
      expect(await paused(engine2.docker)).toBe(true);
      await workerB!.get(FaultJobs).scheduleRevert(run.id, round, new Date());
      await waitFor(`revert job of round ${round}`, async () => !(await paused(engine2.docker)), 10_000, 50);
      // the container is unpaused a moment before the ledger records it
      const lease = await waitFor(
        `lease of round ${round} closed`,
        () =>
          prisma.activeFault.findFirst({ where: { runId: run.id, experimentIndex: round, revertedAt: { not: null } } }),
        5_000,
        50,
      );
      expect(lease.revertReason).toBe('planned_end');
    }
    const revertQueue = new Queue(QUEUES.fault, { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
    try {
      expect(await revertQueue.getJobCountByTypes('waiting', 'delayed', 'active', 'completed')).toBe(0);
    } finally {
      await revertQueue.close();
    }

    // an expired lease on engine 2 while its worker is away: engine 1's reaper (its loop and an
    // explicit sweep) leaves it; engine 2's reaps it as soon as it is back
    await workerB!.close();
    workerB = undefined;
    const [target] = (await driver2.resolveTargets(spec)).targets;
    const lease = await ledger.apply(
      driver2,
      await driver2.prepare(spec, target, {
        expiresAt: new Date(Date.now() - 5_000),
        runId: run.id,
        experimentIndex: 9,
      }),
    );
    await workerA.get(LeaseReaper).sweep();
    await new Promise((r) => setTimeout(r, 2_500)); // two more turns of engine 1's reaper loop
    expect(await paused(engine2.docker)).toBe(true);
    expect((await leases.get(lease.id))!.revertedAt).toBeNull();
    workerB = await createWorkerApp(configB(), { logger: false });
    await workerB.get(LeaseReaper).sweep();
    await waitFor('engine 2 to reap its lease', async () => !(await paused(engine2.docker)), 10_000, 50);
    expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
  });
});

import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { createWorkerApp } from '../../../apps/worker/src/bootstrap';
import { RunExecutor } from '../../../apps/worker/src/runner/run-executor.service';
import {
  ADMIN_TOKEN,
  deleteGameDays,
  deleteQueueKeys,
  startApi,
  testConfig,
  testPrisma,
  waitFor,
} from '../../support/harness';

jest.setTimeout(90_000);

/**
 * One executor per run. A Redis blip or an event-loop stall longer than the job lock re-delivers
 * the execute job to another worker while the first executor still runs; the second takes the
 * run (fencing token) and the first stops at its next step: one set of phase changes, one fault,
 * one verdict.
 */
const docker = new Docker();
const TARGET = `gd-fence-target-${randomUUID().slice(0, 8)}`;
const config = testConfig('fence');
const prisma = testPrisma();
const ids: string[] = [];
let api: INestApplication;
let first: INestApplicationContext;
let second: INestApplicationContext;
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  const image = await ensureLabTargetImage(docker);
  const c = await docker.createContainer({ name: TARGET, Image: image, Labels: { 'gameday.enabled': 'true' } });
  await c.start();
  api = await startApi(config);
  first = await createWorkerApp(config, { logger: false });
  second = await createWorkerApp(config, { logger: false });
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await api?.close();
  await docker
    .getContainer(TARGET)
    .remove({ force: true })
    .catch(() => undefined);
  await deleteGameDays(prisma, ids);
  await prisma.$disconnect();
  await deleteQueueKeys(config);
});

it('lets exactly one executor write when a second one takes the run mid-flight', async () => {
  const ip = (await docker.getContainer(TARGET).inspect()).NetworkSettings.Networks.bridge.IPAddress;
  const http = request(api.getHttpServer());
  const created = await http
    .post('/api/v1/gamedays')
    .set(auth)
    .send({
      name: `fence-${randomUUID()}`,
      timezone: 'UTC',
      schedule: { at: new Date(Date.now() + 3_600_000).toISOString() },
      experiments: [
        {
          name: 'pause',
          hypothesis: {
            description: 'the target fails while paused',
            probes: [{ name: 'target', url: `http://${ip}/`, timeoutMs: 300, interval: '200ms' }],
            tolerances: { fault: { minErrorRate: 0.5 } },
          },
          fault: { kind: 'container', target: { container: TARGET }, action: 'pause' },
          // arming alongside the baseline (no time reserved for it): the run stays short
          durations: { arming: '0s', baseline: '3s', fault: '3s', recovery: '2s' },
        },
      ],
    });
  expect(created.status).toBe(201);
  ids.push(created.body.id);
  const started = await http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(auth).send({});
  expect(started.status).toBe(201);
  const runId = started.body.id as string;

  // the first worker's executor drives the run; during the baseline the job is "re-delivered"
  await waitFor(
    'the baseline',
    async () => (await prisma.run.findUnique({ where: { id: runId } }))?.status === 'baseline',
    20_000,
  );
  await second.get(RunExecutor).execute(runId);

  const run = await prisma.run.findUniqueOrThrow({
    where: { id: runId },
    include: { events: { orderBy: { id: 'asc' } } },
  });
  const count = (type: string) => run.events.filter((e) => e.type === type).length;
  process.stdout.write(`${run.events.map((e) => e.type).join(' ')}\n`);
  expect(run.status).toBe('completed');
  expect(run.executorEpoch).toBe(2);
  expect(count('run.resumed')).toBe(1);
  for (const t of [
    'phase.injecting',
    'phase.observing',
    'phase.rolling_back',
    'phase.recovery',
    'fault.applied',
    'experiment.verdict',
    'run.completed',
  ])
    expect([t, count(t)]).toEqual([t, 1]);
  expect(await prisma.activeFault.count({ where: { runId } })).toBe(1);
  expect(await prisma.activeFault.count({ where: { runId, revertedAt: null } })).toBe(0);
  expect((await docker.getContainer(TARGET).inspect()).State.Paused).toBe(false);
});

import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RunExecutor } from '../../../apps/worker/src/runner/run-executor.service';
import { waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { docker, useTarget } from '../../support/targets';

jest.setTimeout(90_000);

/**
 * One executor per run. A Redis blip or an event-loop stall longer than the job lock re-delivers
 * the execute job to another worker while the first executor still runs; the second takes the
 * run (fencing token) and the first stops at its next step: one set of phase changes, one fault,
 * one verdict.
 */
const stack = useStack({ name: 'fence', api: true });
const { prisma } = stack;
const target = useTarget(stack, 'gd-fence-target');
let second: INestApplicationContext;

beforeAll(async () => {
  await stack.startWorker('real');
  second = await stack.startWorker('real');
});

it('lets exactly one executor write when a second one takes the run mid-flight', async () => {
  const runId = await stack.runNow({
    name: `fence-${randomUUID()}`,
    timezone: 'UTC',
    schedule: { at: new Date(Date.now() + 3_600_000).toISOString() },
    experiments: [
      {
        name: 'pause',
        hypothesis: {
          description: 'the target fails while paused',
          probes: [{ name: 'target', url: target.url, timeoutMs: 300, interval: '200ms' }],
          tolerances: { fault: { minErrorRate: 0.5 } },
        },
        fault: { kind: 'container', target: { container: target.name }, action: 'pause' },
        // the second executor arms again during the baseline: 6 s leave it room on a loaded host
        durations: { arming: '4s', baseline: '6s', fault: '3s', recovery: '2s' },
      },
    ],
  });

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
  process.stdout.write(
    `${run.events.map((e) => (e.type.startsWith('arming') || e.type === 'run.failed' ? `${e.type} (${e.message})` : e.type)).join(' ')}\n`,
  );
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
  expect((await docker.getContainer(target.name).inspect()).State.Paused).toBe(false);
  // the fenced executor had armed a watchdog of its own that no lease names: it is removed too,
  // not left behind (exited) for nobody
  const targetId = (await docker.getContainer(target.name).inspect()).Id;
  const left = () =>
    docker
      .listContainers({ all: true, filters: { label: [`gameday.target=${targetId}`] } })
      .then((cs) => cs.map((c) => `${c.Names[0]} (${c.State})`));
  await waitFor('the helpers to be removed', async () => (await left()).length === 0, 10_000).catch(async () => {
    expect(await left()).toEqual([]);
  });
});

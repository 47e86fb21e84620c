import type { INestApplicationContext } from '@nestjs/common';
import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import type { FaultDriver, FaultLease } from '@gameday/core';
import { PrismaLeaseRepository } from '@gameday/db';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { FaultJobs } from '../../../apps/worker/src/runner/fault-jobs.service';
import { LeaseReaper } from '../../../apps/worker/src/runner/lease-reaper.service';
import { FAULT_DRIVER } from '../../../apps/worker/src/runner/runner.tokens';
import { deleteGameDays, deleteQueueKeys, startWorker, testConfig, testPrisma, waitFor } from '../../support/harness';

// While the executor confirms a planned revert it holds the lease; the backstops due 2 s after
// the end (the revert job, the reaper) wait for that hold instead of repeating the same engine
// calls at the same moment (in the one-CPU lab that stalled the system under test for ~20 s of its
// recovery window). A hold that lapses, because the executor died mid-confirmation, lets them act.
// The fault here is real: a paused container on the test's Docker Engine.

const docker = new Docker();
const config = testConfig('revert-claim');
const prisma = testPrisma();
const leases = new PrismaLeaseRepository(prisma);
const gameDays: string[] = [];
const containers: string[] = [];
let worker: INestApplicationContext;

beforeAll(async () => {
  worker = await startWorker(config);
});

afterAll(async () => {
  await worker?.close();
  for (const id of containers)
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  await prisma.activeFault.deleteMany({ where: { containerId: { in: containers } } });
  await deleteGameDays(prisma, gameDays);
  await deleteQueueKeys(config);
  await prisma.$disconnect();
});

/** A run row for the lease (the revert job finds leases by run). */
async function aRun(): Promise<string> {
  const gd = await prisma.gameDay.create({
    data: { name: 'revert-claim', timezone: 'UTC', scheduleKind: 'at', runAt: new Date(), spec: {} },
  });
  gameDays.push(gd.id);
  const run = await prisma.run.create({
    data: { gameDayId: gd.id, scheduledFor: new Date(), spec: {}, gameDayVersion: 1, status: 'rolling_back' },
  });
  return run.id;
}

/** A really paused container and its open, expired lease, held by "the executor" until `heldUntil`. */
async function pausedUnderClaim(
  runId: string | null,
  heldUntil: Date,
): Promise<{ lease: FaultLease; c: Docker.Container }> {
  const c = await docker.createContainer({
    Image: await ensureLabTargetImage(docker),
    Labels: { 'gameday.enabled': 'true' },
  });
  containers.push(c.id);
  await c.start();
  await c.pause();
  const lease = await leases.record({
    id: randomUUID(),
    runId,
    experimentIndex: 0,
    kind: 'container',
    strategy: 'docker',
    engine: worker.get<FaultDriver>(FAULT_DRIVER).engine,
    containerId: c.id,
    containerName: c.id.slice(0, 12),
    applyArgv: [['docker', 'pause', c.id]],
    revertArgv: [['docker', 'unpause', c.id]],
    details: { kindPart: { action: 'pause' } },
    // expires a moment after the hold is taken: the worker's own reaper ticks in the background
    expiresAt: new Date(Date.now() + 1_000),
  });
  await leases.claimRevert(lease.id, heldUntil);
  await new Promise((r) => setTimeout(r, 1_100));
  return { lease, c };
}

it('the reaper leaves a lease the executor holds, and reverts it once the hold lapses', async () => {
  const heldUntil = new Date(Date.now() + 10_000);
  const { lease, c } = await pausedUnderClaim(null, heldUntil);
  const reaper = worker.get(LeaseReaper);

  await reaper.sweep(new Date());
  expect((await leases.get(lease.id))!.revertedAt).toBeNull();
  expect((await c.inspect()).State.Paused).toBe(true);

  await reaper.sweep(new Date(heldUntil.getTime() + 1));
  expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
  expect((await c.inspect()).State.Paused).toBe(false);
});

it('the planned-end revert job waits for the hold, then reverts, without spending its retries', async () => {
  const runId = await aRun();
  const heldUntil = new Date(Date.now() + 6_000);
  const { lease, c } = await pausedUnderClaim(runId, heldUntil);
  // due at the planned end + 2 s, i.e. while the executor still holds the lease
  await worker.get(FaultJobs).scheduleRevert(runId, 0, new Date());

  await new Promise((r) => setTimeout(r, 3_500));
  expect((await leases.get(lease.id))!.revertedAt).toBeNull();
  expect((await c.inspect()).State.Paused).toBe(true);

  // the background reaper (1 s ticks) may win the race once the hold lapses: either backstop may close it
  const closed = await waitFor('the lease closed', async () => (await leases.get(lease.id))!.revertedAt, 20_000);
  expect(closed.getTime()).toBeGreaterThanOrEqual(heldUntil.getTime());
  expect((await c.inspect()).State.Paused).toBe(false);
  expect((await leases.get(lease.id))!.revertAttempts).toBe(0);
});

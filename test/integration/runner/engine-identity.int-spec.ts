import type { INestApplicationContext } from '@nestjs/common';
import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import type { FaultDriver } from '@gameday/core';
import { PrismaLeaseRepository } from '@gameday/db';
import { deleteQueueKeys, startWorker, testConfig, testPrisma } from '../../support/harness';
import { LeaseReaper } from '../../../apps/worker/src/runner/lease-reaper.service';
import { FAULT_DRIVER } from '../../../apps/worker/src/runner/runner.tokens';

/**
 * A worker knows its engine by the daemon's ID and acts only on leases of that engine: a lease
 * another host recorded (under the old shared name "local", say) is never reverted here, where
 * its container is unknown and would pass for "already gone" while the fault stays on its host.
 */
const config = testConfig('engine-identity');
const prisma = testPrisma();
const leases = new PrismaLeaseRepository(prisma);
let worker: INestApplicationContext;

beforeAll(async () => {
  worker = await startWorker(config);
});

afterAll(async () => {
  await worker?.close();
  await prisma.activeFault.deleteMany({ where: { containerName: 'on-another-host' } });
  await deleteQueueKeys(config);
  await prisma.$disconnect();
});

it('identifies its engine by the daemon ID', async () => {
  const info = await new Docker().info();
  expect(worker.get<FaultDriver>(FAULT_DRIVER).engine).toBe(info.ID);
});

it("never reaps another engine's lease as already gone", async () => {
  const lease = await leases.record({
    id: randomUUID(),
    runId: null,
    experimentIndex: 0,
    kind: 'container',
    strategy: 'docker',
    engine: 'local',
    containerId: 'f'.repeat(64),
    containerName: 'on-another-host',
    applyArgv: [['docker', 'pause', 'f'.repeat(64)]],
    revertArgv: [['docker', 'unpause', 'f'.repeat(64)]],
    details: { kindPart: { action: 'pause' } },
    expiresAt: new Date(Date.now() - 60_000),
  } as Parameters<PrismaLeaseRepository['record']>[0]);
  await worker.get(LeaseReaper).sweep();
  const row = await leases.get(lease.id);
  expect(row!.revertedAt).toBeNull();
  expect(row!.revertAttempts).toBe(0);
});

import Docker from 'dockerode';
import { randomBytes, randomUUID } from 'node:crypto';
import { createPrismaClient, PrismaLeaseRepository, type PrismaClient } from '@gameday/db';
import { DockerFaultDriver, ensureHelperImage } from '@gameday/faults';
import { createMetrics } from '@gameday/metrics';
import { revertLease } from '../../../apps/worker/src/runner/lease-revert';

/**
 * The fault ledger records each revert attempt once, whoever drives it: a failed revert that
 * passes through the driver and the worker is still one attempt.
 */
const docker = new Docker();
let prisma: PrismaClient;
let leases: PrismaLeaseRepository;
let driver: DockerFaultDriver;
let containerId: string;
const name = `gdledger-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await docker.ping(); // fails loudly without an engine
  prisma = createPrismaClient(process.env.DATABASE_URL!);
  leases = new PrismaLeaseRepository(prisma);
  driver = new DockerFaultDriver(docker, {
    leases,
    helperImage: await ensureHelperImage(docker),
    engine: 'ledger-test',
  });
  // a stopped container that cannot start again: reverting a "stop" fault on it fails
  const c = await docker.createContainer({ name, Image: 'debian:bookworm-slim', Cmd: ['/no/such/program'] });
  containerId = c.id;
});

afterAll(async () => {
  await docker
    .getContainer(containerId)
    .remove({ force: true })
    .catch(() => undefined);
  await prisma.activeFault.deleteMany({ where: { engine: 'ledger-test' } });
  await prisma.$disconnect();
});

it('records one attempt for one failed revert', async () => {
  const lease = await leases.record({
    id: randomUUID(),
    runId: null,
    experimentIndex: 0,
    kind: 'container',
    strategy: 'docker',
    engine: 'ledger-test',
    containerId,
    containerName: name,
    applyArgv: [['docker', 'stop', containerId]],
    revertArgv: [['docker', 'start', containerId]],
    details: { action: 'stop' },
    expiresAt: new Date(),
  } as Parameters<PrismaLeaseRepository['record']>[0]);
  await expect(revertLease(driver, leases, createMetrics({ defaults: false }), lease, 'test')).rejects.toThrow();
  const row = await leases.get(lease.id);
  expect(row!.revertedAt).toBeNull();
  expect(row!.revertAttempts).toBe(1);
  expect(row!.lastError).toMatch(/no such file or directory/);
});

import Docker from 'dockerode';
import { randomBytes, randomUUID } from 'node:crypto';
import { faultSchema, TargetBusyError } from '@gameday/core';
import { createPrismaClient, PrismaLeaseRepository, type PrismaClient } from '@gameday/db';
import { DockerFaultDriver, ensureHelperImage } from '@gameday/faults';
import { createMetrics } from '@gameday/metrics';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { revertLease } from '../../../apps/worker/src/runner/lease-revert';

/**
 * The fault ledger: each revert attempt is recorded once, whoever drives it; and one fault owner
 * holds a target's network namespace at a time, enforced by the database.
 */
const docker = new Docker();
let prisma: PrismaClient;
let leases: PrismaLeaseRepository;
let driver: DockerFaultDriver;
let ledger: LeaseLedger;
let containerId: string;
let targetId: string;
const name = `gdledger-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await docker.ping(); // fails loudly without an engine
  prisma = createPrismaClient(process.env.DATABASE_URL!);
  leases = new PrismaLeaseRepository(prisma);
  ledger = new LeaseLedger(leases);
  driver = new DockerFaultDriver(docker, {
    helperImage: await ensureHelperImage(docker),
    engine: 'ledger-test',
  });
  // a stopped container that cannot start again: reverting a "stop" fault on it fails
  const c = await docker.createContainer({ name, Image: 'debian:bookworm-slim', Cmd: ['/no/such/program'] });
  containerId = c.id;
  const t = await docker.createContainer({
    name: `${name}-target`,
    Image: 'debian:bookworm-slim',
    Cmd: ['sleep', '3600'],
    Labels: { 'gameday.enabled': 'true' },
    HostConfig: { Init: true },
  });
  await t.start();
  targetId = t.id;
});

afterAll(async () => {
  for (const id of [containerId, targetId])
    await docker
      .getContainer(id)
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

it('refuses a second fault on a network namespace that an open lease holds, and frees it on revert', async () => {
  const spec = faultSchema.parse({ kind: 'container', action: 'pause', target: { container: `${name}-target` } });
  const prepare = async () => {
    const { targets } = await driver.resolveTargets(spec);
    expect(targets).toHaveLength(1);
    return driver.prepare(spec, targets[0], { expiresAt: new Date(Date.now() + 60_000), experimentIndex: 0 });
  };
  const first = await ledger.apply(driver, await prepare());
  // a second run (another GameDay, a second run-now, a cron overlapping itself) arms the same target
  await expect(ledger.apply(driver, await prepare())).rejects.toBeInstanceOf(TargetBusyError);
  await expect(ledger.apply(driver, await prepare())).rejects.toThrow(`lease ${first.id}`);
  // nothing of the first fault was touched
  expect((await docker.getContainer(targetId).inspect()).State.Paused).toBe(true);
  expect((await leases.get(first.id))!.revertedAt).toBeNull();
  expect(await prisma.activeFault.count({ where: { containerId: targetId, engine: 'ledger-test' } })).toBe(1);

  await revertLease(driver, leases, createMetrics({ defaults: false }), first, 'test');
  expect((await docker.getContainer(targetId).inspect()).State.Paused).toBe(false);
  // the namespace is free again
  const third = await ledger.apply(driver, await prepare());
  await revertLease(driver, leases, createMetrics({ defaults: false }), third, 'test');
});

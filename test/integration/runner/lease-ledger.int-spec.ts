import Docker from 'dockerode';
import { randomBytes, randomUUID } from 'node:crypto';
import { faultSchema, TargetBusyError } from '@gameday/core';
import { createPrismaClient, PrismaLeaseRepository, type PrismaClient } from '@gameday/db';
import { DockerFaultDriver, ensureHelperImage } from '@gameday/faults';
import { createMetrics } from '@gameday/metrics';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { revertLease } from '../../../apps/worker/src/runner/lease-revert';
import { deleteGameDays } from '../../support/harness';

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
    details: { kindPart: { action: 'stop' } },
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
  // the later runs (another GameDay, a second run-now, a cron overlapping itself) armed the same
  // target before the first fault went in: a paused target refuses a container fault's arming
  // (its watchdog needs it running), so the ledger's lock is met by faults armed ahead
  const later = [await prepare(), await prepare()];
  const first = await ledger.apply(driver, await prepare());
  await expect(ledger.apply(driver, later[0])).rejects.toBeInstanceOf(TargetBusyError);
  await expect(ledger.apply(driver, later[1])).rejects.toThrow(`lease ${first.id}`);
  for (const p of later) await driver.release(p);
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

it('lets the steps of one run share a network namespace, and hands its lock on when one is reverted', async () => {
  const gameDay = await prisma.gameDay.create({
    data: { name: `${name}-steps`, timezone: 'UTC', scheduleKind: 'at', spec: {} },
  });
  const run = () =>
    prisma.run.create({
      data: {
        gameDayId: gameDay.id,
        scheduledFor: new Date(Date.now() + Math.random() * 1e9),
        spec: {},
        gameDayVersion: 1,
      },
    });
  const [mine, other] = [await run(), await run()];
  try {
    const lease = (runId: string, step: string) =>
      leases.record({
        runId,
        experimentIndex: 0,
        kind: 'container',
        strategy: 'docker',
        engine: 'ledger-test',
        containerId: targetId,
        containerName: `${name}-target`,
        netnsId: `netns-of-${name}`,
        applyArgv: [['docker', 'pause', targetId]],
        revertArgv: [['docker', 'unpause', targetId]],
        details: { kindPart: { action: 'pause' }, step },
        expiresAt: new Date(Date.now() + 60_000),
      } as Parameters<PrismaLeaseRepository['record']>[0]);
    const first = await lease(mine.id, 'first');
    // a later step of the same run: the run already owns the namespace
    const second = await lease(mine.id, 'second');
    await expect(lease(other.id, 'theirs')).rejects.toBeInstanceOf(TargetBusyError);
    await leases.markReverted(first.id, new Date(), 'planned_end');
    // the run still has a fault there: the lock went to its other lease, and another run stays out
    const lock = await prisma.activeFault.findUniqueOrThrow({ where: { id: second.id }, select: { netnsLock: true } });
    expect(lock.netnsLock).toBe(`ledger-test|netns-of-${name}`);
    await expect(lease(other.id, 'theirs')).rejects.toThrow(`lease ${second.id}`);
    await leases.markReverted(second.id, new Date(), 'planned_end');
    const theirs = await lease(other.id, 'theirs');
    await leases.markReverted(theirs.id, new Date(), 'planned_end');
  } finally {
    await prisma.activeFault.deleteMany({ where: { runId: { in: [mine.id, other.id] } } });
    await deleteGameDays(prisma, [gameDay.id]);
  }
});

it("reverts a pause from a row the previous version wrote (the kind's fields at the top level of its details)", async () => {
  await docker.getContainer(targetId).pause();
  // as the previous version recorded a container fault, still open when this version starts
  const { id } = await prisma.activeFault.create({
    data: {
      experimentIndex: 0,
      kind: 'container',
      strategy: 'docker',
      engine: 'ledger-test',
      containerId: targetId,
      containerName: `${name}-target`,
      applyArgv: [['docker', 'pause', targetId]],
      revertArgv: [['docker', 'unpause', targetId]],
      details: { action: 'pause', step: 'old' },
      expiresAt: new Date(),
    },
  });
  const lease = (await leases.get(id))!;
  expect(lease.details).toEqual({ kindPart: { action: 'pause' }, step: 'old' });
  // the action read from the row: an unpause of a pause ("already_gone" had it been lost)
  const reverted = await revertLease(driver, leases, createMetrics({ defaults: false }), lease, 'test');
  expect(reverted.outcome).toBe('reverted');
  expect((await docker.getContainer(targetId).inspect()).State.Paused).toBe(false);
  expect((await leases.get(id))!.revertedAt).not.toBeNull();
});

import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import Docker from 'dockerode';
import type { FaultLease } from '@gameday/core';
import { PrismaLeaseRepository, PrismaService, RunRepository } from '@gameday/db';
import { DockerFaultDriver } from '@gameday/faults';
import { createMetrics } from '@gameday/metrics';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { LeaseReaper } from '../../../apps/worker/src/runner/lease-reaper.service';
import { UnrecordedReverts } from '../../../apps/worker/src/runner/unrecorded-reverts';

/**
 * The reaper runs, as root on the Docker host (nsenter), argv it reads back from Postgres. Rows
 * changed there hold commands GameDay never writes, some of them one word away from its own: the
 * reaper runs none of them, says so once (log and run event), and leaves the lease open for a human
 * instead of refusing it again every second. Each target is a test container; what a command would
 * have done shows in its own network namespace or as a file, never on the host's network.
 */
const P = `gdtamper-${randomBytes(3).toString('hex')}`;
const ENGINE = `tamper-test-${P}`;
const docker = new Docker();
const prisma = new PrismaService(process.env.DATABASE_URL!);
const leases = new PrismaLeaseRepository(prisma);
const runs = new RunRepository(prisma);
const driver = new DockerFaultDriver(docker, { engine: ENGINE });
const ledger = new LeaseLedger(leases);
const reaper = new LeaseReaper(
  driver,
  leases,
  createMetrics({ defaults: false }),
  runs,
  new UnrecordedReverts(leases),
  {
    GAMEDAY_REAPER_INTERVAL_MS: 1_000,
    GAMEDAY_ORPHAN_AFTER_MS: 60_000,
  },
);
const marker = `/tmp/${P}-ran`;
const batch = `/tmp/${P}-batch`;
const containers: string[] = [];
let gameDayId: string;
let runId: string;

async function target(name: string): Promise<{ id: string; sandbox: string; inode: string }> {
  const c = await docker.createContainer({
    name: `${P}-${name}`,
    Image: 'debian:bookworm-slim',
    Cmd: ['sleep', '3600'],
    Labels: { 'gameday.enabled': 'true' },
    HostConfig: { Init: true },
  });
  containers.push(c.id);
  await c.start();
  const info = await c.inspect();
  return { id: c.id, sandbox: info.NetworkSettings.SandboxKey, inode: readlinkSync(`/proc/${info.State.Pid}/ns/net`) };
}

const inSandbox = (sandbox: string, argv: string[]) =>
  execFileSync('nsenter', [`--net=${sandbox}`, '--', ...argv], { encoding: 'utf8' });

/** An expired nsenter lease on the target with no helper left: the reaper reverts it from the row alone. */
async function expiredLease(t: { id: string; sandbox: string; inode: string }, name: string): Promise<FaultLease> {
  const lease = await leases.record({
    runId,
    experimentIndex: 0,
    kind: 'network',
    strategy: 'nsenter',
    engine: ENGINE,
    containerId: t.id,
    containerName: `${P}-${name}`,
    netnsId: t.sandbox,
    device: 'eth0',
    handle: '4744:',
    applyArgv: [['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem', 'delay', '100ms']],
    verifyArgv: [['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']],
    revertArgv: [['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem']],
    details: {
      netnsInode: t.inode,
      kindPart: {
        expected: {
          qdiscs: [{ dev: 'eth0', kind: 'netem', handle: '4744:', parent: 'root' }],
          owned: [{ dev: 'eth0', handle: '4744:', kind: 'netem' }],
          devices: ['eth0'],
          filterCount: 0,
          filters: [],
          filterShows: [],
        },
      },
    },
    injectedAt: new Date(Date.now() - 120_000),
    expiresAt: new Date(Date.now() - 60_000),
  });
  return lease;
}

beforeAll(async () => {
  await docker.ping();
  const gd = await prisma.gameDay.create({
    data: { name: P, timezone: 'UTC', scheduleKind: 'at', runAt: new Date(), spec: {} },
  });
  gameDayId = gd.id;
  runId = (
    await prisma.run.create({
      data: { gameDayId, scheduledFor: new Date(), spec: {}, gameDayVersion: 1, status: 'completed' },
    })
  ).id;
}, 60_000);

afterAll(async () => {
  for (const id of containers)
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  await prisma.activeFault.deleteMany({ where: { engine: ENGINE } });
  await prisma.run.deleteMany({ where: { gameDayId } });
  await prisma.gameDay.deleteMany({ where: { id: gameDayId } });
  rmSync(marker, { force: true });
  rmSync(batch, { force: true });
  await prisma.$disconnect();
}, 60_000);

it('a tampered row is refused, told once, and left open: nothing outside the allow-list runs', async () => {
  const a = await target('link');
  const b = await target('root');
  const c = await target('shell');
  // another tool's root qdisc on b (htb: this kernel has no netem); a broad delete would take it
  inSandbox(b.sandbox, ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'htb']);
  writeFileSync(batch, 'qdisc add dev lo root handle 2: htb\n');
  const rows = [await expiredLease(a, 'link'), await expiredLease(b, 'root'), await expiredLease(c, 'shell')];
  const tamper = async (lease: FaultLease, data: Record<string, unknown>) =>
    prisma.activeFault.update({ where: { id: lease.id }, data });
  // one word from GameDay's own: the container's interface instead of our IFB
  await tamper(rows[0], { revertArgv: [['ip', 'link', 'del', 'eth0']] });
  // one word short of GameDay's own: whatever root qdisc is there, not our handle and kind
  await tamper(rows[1], { revertArgv: [['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']] });
  // nothing like it
  await tamper(rows[2], {
    revertArgv: [
      ['tc', '-batch', batch],
      ['sh', '-c', `touch ${marker}`],
    ],
    verifyArgv: [['ip', 'netns', 'exec', 'x', 'true']],
  });

  for (let sweep = 0; sweep < 3; sweep++) await reaper.sweep(new Date());

  expect(inSandbox(a.sandbox, ['ip', '-o', 'link'])).toMatch(/ eth0@/);
  expect(inSandbox(b.sandbox, ['tc', 'qdisc', 'show', 'dev', 'eth0'])).toMatch(/htb 1: root/);
  expect(inSandbox(c.sandbox, ['tc', 'qdisc', 'show', 'dev', 'lo'])).not.toMatch(/htb 2:/);
  expect(existsSync(marker)).toBe(false);
  for (const row of rows) {
    const now = (await leases.get(row.id))!;
    // open for a human, refused once (not once per sweep)
    expect(now).toMatchObject({ revertedAt: null, revertAttempts: 1 });
    expect(now.lastError).toMatch(/^refused to run \[.* from the lease ledger \((revert|verify)\)/);
  }
  const events = await prisma.runEvent.findMany({ where: { runId, type: 'fault.revert_refused' } });
  expect(events.map((e) => (e.data as { leaseId: string }).leaseId).sort()).toEqual(rows.map((r) => r.id).sort());
  expect(events[0].message).toMatch(/holds a command GameDay never writes/);
});

it('a row that names another container as its helper: that container is neither signalled nor removed', async () => {
  const t = await target('sidecar');
  // docker-init hands a signal on to `sleep`, which dies of SIGUSR2: a signal would stop it
  const victim = await target('victim');
  const lease = await expiredLease(t, 'sidecar');
  await prisma.activeFault.update({
    where: { id: lease.id },
    data: { strategy: 'sidecar', helperContainerId: victim.id },
  });
  const tampered = (await leases.get(lease.id))!;
  expect(await driver.hasLiveHelper(tampered)).toBe(false);
  // an abort signals the helper first; then, with no helper of ours, the row's own delete runs
  expect(await ledger.revert(driver, tampered, 'abort')).toMatchObject({ outcome: 'already_gone' });
  await driver.release(tampered);
  expect((await docker.getContainer(victim.id).inspect()).State.Running).toBe(true);
});

import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { faultSchema, type ContainerFaultSpec, type FaultLease, type PreparedFault } from '@gameday/core';
import { PrismaLeaseRepository, PrismaService } from '@gameday/db';
import {
  containerPart,
  demuxDockerLog,
  DockerFaultDriver,
  ensureHelperImage,
  ensureWatchdogImage,
  parseWatchdogLog,
  type WatchdogRecord,
} from '@gameday/faults';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { expiredLeases } from '../../../apps/worker/src/runner/lease-revert';
import { waitFor } from '../../support/harness';
import { sweepOnce, expireLeases } from '../../support/lease-reaper';

/**
 * The per-fault watchdog of container faults on the host's real Docker Engine. The driver is
 * driven directly and, where the test says so, the worker's revert never comes: the watchdog alone
 * must bring the target back at T1, and only a target still as the fault left it.
 */
jest.setTimeout(60_000);

const P = `gdwd-${randomBytes(3).toString('hex')}`;
const ENGINE = `watchdog-test-${P}`;
const docker = new Docker();
const prisma = new PrismaService(process.env.DATABASE_URL!);
const leases = new PrismaLeaseRepository(prisma);
const ledger = new LeaseLedger(leases);
let driver: DockerFaultDriver;
let watchdogImage: string;
const ids: Record<string, string> = {};

function spec(action: string, container = `${P}-t`): ContainerFaultSpec {
  return faultSchema.parse({ kind: 'container', target: { container }, action }) as ContainerFaultSpec;
}

async function arm(action: string, t1: number, container = `${P}-t`): Promise<PreparedFault> {
  const f = spec(action, container);
  const [target] = (await driver.resolveTargets(f)).targets;
  return driver.prepare(f, target, { expiresAt: new Date(t1) });
}

const state = async (name = `${P}-t`) => (await docker.getContainer(name).inspect()).State;
const exists = (id: string) =>
  docker
    .getContainer(id)
    .inspect()
    .then(() => true)
    .catch(() => false);
async function record(id: string): Promise<WatchdogRecord> {
  const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: false })) as Buffer;
  return parseWatchdogLog(demuxDockerLog(buf));
}

/** Polls every 10 ms until `probe` holds; the instant it did, or undefined at `until`. */
async function seenAt(probe: () => Promise<boolean>, until: number): Promise<number | undefined> {
  while (Date.now() < until) {
    if (await probe()) return Date.now();
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** Starts a watchdog container by hand with the argv given (what the driver would never send). */
async function rawWatchdog(argv: string[]): Promise<string> {
  const c = await docker.createContainer({
    Image: watchdogImage,
    Cmd: argv,
    Labels: { 'gameday.test': P },
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }],
    },
  });
  await c.start();
  return c.id;
}

async function startTarget(name: string): Promise<string> {
  const c = await docker.createContainer({
    name,
    Image: 'debian:bookworm-slim',
    Cmd: ['sleep', '600'],
    Labels: { 'gameday.enabled': 'true' },
    HostConfig: { Init: true },
  });
  await c.start();
  return c.id;
}

beforeAll(async () => {
  await docker.ping();
  watchdogImage = await ensureWatchdogImage(docker);
  driver = new DockerFaultDriver(docker, {
    helperImage: await ensureHelperImage(docker),
    watchdogImage,
    engine: ENGINE,
  });
  ids.t = await startTarget(`${P}-t`);
  ids.other = await startTarget(`${P}-other`);
}, 600_000);

afterEach(async () => {
  for (const name of [`${P}-t`, `${P}-other`]) {
    const s = await state(name);
    if (s.Paused) await docker.getContainer(name).unpause();
    if (!s.Running) await docker.getContainer(name).start();
  }
});

afterAll(async () => {
  const left = await docker.listContainers({ all: true, filters: { label: ['gameday.role=watchdog'] } });
  const ours = await docker.listContainers({ all: true, filters: { label: [`gameday.test=${P}`] } });
  for (const c of [...left.filter((c) => Object.values(ids).includes(c.Labels['gameday.target'])), ...ours])
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const name of [`${P}-t`, `${P}-other`])
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  await prisma.activeFault.deleteMany({ where: { engine: ENGINE } });
  await prisma.$disconnect();
}, 60_000);

describe('with no revert from the worker, the watchdog brings the target back at T1', () => {
  it.each([
    ['pause', async () => !(await state()).Paused],
    ['stop', async () => (await state()).Running],
    ['kill', async () => (await state()).Running],
  ])('%s', async (action, back) => {
    // arming and the fault before T1 with room on a loaded host: with 3 s, the kill was already
    // undone by its watchdog when the test first looked (CI, beside the other lanes)
    const t1 = Date.now() + 6_000;
    const armStarted = performance.now();
    const prepared = await arm(action, t1);
    const armMs = Math.round(performance.now() - armStarted);
    const watchdog = prepared.helperContainerId!;
    expect((await docker.getContainer(watchdog).inspect()).HostConfig).toMatchObject({
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
    });
    const lease = await ledger.apply(driver, prepared);
    expect(lease.helperContainerId).toBe(watchdog);
    expect(containerPart(lease).watchdog).toMatchObject({
      armingId: prepared.abortNonce,
      deadlineAt: new Date(t1).toISOString(),
    });
    expect(await back()).toBe(false);
    // the worker is gone: nothing but the watchdog acts from here
    const at = await seenAt(back, t1 + 5_000);
    // the engine shows a started container running a moment before its start call returns, and the
    // watchdog writes its line after that return
    const r = await waitFor('the watchdog to record its call', async () => {
      const got = await record(watchdog);
      return got.acted || got.failed || got.stoodDown ? got : null;
    });
    console.log(
      `${action}: armed in ${armMs} ms; watchdog called ${r.acted?.call} at T1+${(r.acted?.calledAt ?? NaN) - t1} ms, answered at T1+${(r.acted?.at ?? NaN) - t1} ms; target back at T1+${at === undefined ? 'never' : at - t1} ms (seen)`,
    );
    expect(at).toBeDefined();
    expect(at!).toBeGreaterThanOrEqual(t1);
    expect(r.acted).toMatchObject({ call: action === 'pause' ? 'unpause' : 'start', status: 204 });
    // the watchdog's own part (its wake-up and one inspect) is within 1 s of T1; an unpause lands
    // with it, while the engine's start of a container takes its own time (0.4 s here when quiet,
    // over 1 s while the machine is busy), as the worker's revert would
    expect(r.acted!.calledAt).toBeLessThanOrEqual(t1 + 1_000);
    expect(at!).toBeLessThanOrEqual(t1 + (action === 'pause' ? 1_000 : 3_000));
    // a worker back later closes the lease with the watchdog's instant, and removes it
    const closed = await ledger.revert(driver, lease, 'planned_end');
    expect(closed).toMatchObject({ outcome: 'reverted' });
    expect(Math.abs(closed.at.getTime() - r.acted!.at)).toBeLessThan(50);
    // and says who took the fault out: its watchdog, not the revert that came to look
    expect((await leases.get(lease.id))!.revertReason).toBe('watchdog_deadline');
    expect(await exists(watchdog)).toBe(false);
  });
});

describe('the backstops leave the planned end to a live watchdog', () => {
  it('the reaper and the revert job wait 2 s after T1 for a pause whose watchdog runs, not racing it', async () => {
    const t1 = Date.now() + 30_000;
    const prepared = await arm('pause', t1);
    const lease = await ledger.apply(driver, prepared);
    try {
      const ours = async (at: number) =>
        (await expiredLeases(leases, driver, new Date(at))).filter((l) => l.id === lease.id).length;
      // at T1 its watchdog unpauses it by the engine's clock: a backstop then would race it (the
      // reaper's unpause at T1+1.2 s was recorded instead of the worker's or the watchdog's)
      expect(await ours(t1 + 500)).toBe(0);
      // its delay past, a watchdog that did not act is not waited for any longer
      expect(await ours(t1 + 2_500)).toBe(1);
      // a watchdog gone (removed, crashed): nothing guards the end, the backstops act at once
      await docker.getContainer(prepared.helperContainerId!).remove({ force: true });
      expect(await ours(t1 + 500)).toBe(1);
    } finally {
      await ledger.revert(driver, lease, 'test cleanup');
    }
  });
});

describe('it never acts on anything but its target as the fault left it', () => {
  it('stands down when the target was restarted and paused again by hand before T1', async () => {
    const t1 = Date.now() + 3_000;
    const prepared = await arm('pause', t1);
    const lease = await ledger.apply(driver, prepared);
    // a person takes over: restart (a new StartedAt) and pause it themselves
    await docker.getContainer(ids.t).unpause();
    await docker.getContainer(ids.t).restart({ t: 0 });
    await docker.getContainer(ids.t).pause();
    await new Promise((r) => setTimeout(r, t1 + 1_000 - Date.now()));
    expect((await state()).Paused).toBe(true);
    expect(await record(prepared.helperContainerId!)).toMatchObject({
      stoodDown: { by: 'deadline', reason: 'restarted_since_arming' },
    });
    expect((await record(prepared.helperContainerId!)).acted).toBeUndefined();
    // nor does the revert: the pause is the person's
    const r = await ledger.revert(driver, lease, 'planned_end');
    expect(r.outcome).toBe('already_gone');
    expect(r.details?.join('; ')).toMatch(/started again since arming/);
    expect((await state()).Paused).toBe(true);
  });

  it('stands down when a stopped target was started and stopped again by hand', async () => {
    const t1 = Date.now() + 3_000;
    const prepared = await arm('stop', t1);
    const lease = await ledger.apply(driver, prepared);
    await docker.getContainer(ids.t).start();
    await docker.getContainer(ids.t).stop({ t: 0 });
    await new Promise((r) => setTimeout(r, t1 + 1_000 - Date.now()));
    expect((await state()).Running).toBe(false);
    expect((await record(prepared.helperContainerId!)).stoodDown?.reason).toBe('restarted_since_arming');
    // nor does the revert: the stop is the person's
    const r = await ledger.revert(driver, lease, 'planned_end');
    expect(r.outcome).toBe('already_gone');
    expect(r.details?.join('; ')).toMatch(/started again since arming/);
    expect((await state()).Running).toBe(false);
  });

  it('refuses another container than the one armed, and any argv it was not built for', async () => {
    const t = (await docker.getContainer(ids.t).inspect()).State.StartedAt;
    const deadline = String(Date.now() + 1_500);
    // the other container's ID with the target's start: not the run of a container it was armed for
    const wrong = await rawWatchdog(['watch', ids.other, 'n1', deadline, 'pause', t]);
    // a path instead of an ID, a shell word, an unknown action
    const path = await rawWatchdog(['watch', `../containers/${ids.other}`, 'n2', deadline, 'pause', t]);
    const shell = await rawWatchdog(['watch', ids.t, 'n3;rm', deadline, 'pause', t]);
    const action = await rawWatchdog(['watch', ids.t, 'n4', deadline, 'kill', t]);
    for (const id of [wrong, path, shell, action])
      await waitFor('the watchdog to exit', async () => !(await docker.getContainer(id).inspect()).State.Running);
    expect((await record(wrong)).refused).toBe('target_changed');
    for (const id of [path, shell, action]) expect((await record(id)).refused).toBe('bad_arguments');
  });

  it('armed for one container, never touches another paused one', async () => {
    const t1 = Date.now() + 2_000;
    const prepared = await arm('pause', t1, `${P}-other`);
    await docker.getContainer(ids.t).pause(); // by a person, not this fault
    await new Promise((r) => setTimeout(r, t1 + 800 - Date.now()));
    expect((await state()).Paused).toBe(true);
    expect((await record(prepared.helperContainerId!)).stoodDown?.reason).toBe('not_paused');
    await driver.release(prepared);
    expect(await exists(prepared.helperContainerId!)).toBe(false);
  });

  it('a fault armed later on the same target tells the earlier watchdog to stand down', async () => {
    const first = await arm('pause', Date.now() + 20_000);
    const second = await arm('pause', Date.now() + 20_000);
    expect((await state()).Running).toBe(true);
    expect((await docker.getContainer(first.helperContainerId!).inspect()).State.Running).toBe(false);
    expect((await record(first.helperContainerId!)).stoodDown).toMatchObject({ by: 'signal:10', reason: 'told' });
    expect((await docker.getContainer(second.helperContainerId!).inspect()).State.Running).toBe(true);
    // the earlier fault, unguarded now, is not applied: its apply fails with nothing done
    const lease = await leases.record(driver.draftLease(first));
    const outcome = await driver.apply(first, lease);
    expect(outcome).toMatchObject({ applied: false, left: 'nothing' });
    expect(outcome.applied ? '' : outcome.error.name).toBe('WatchdogLostError');
    expect((await state()).Paused).toBe(false);
    await prisma.activeFault.update({ where: { id: lease.id }, data: { revertedAt: new Date(), netnsLock: null } });
    await driver.release(first);
    await driver.release(second);
  });
});

describe('after a normal revert', () => {
  it('it has stood down and is gone, and never acts at T1', async () => {
    const t1 = Date.now() + 3_000;
    const prepared = await arm('pause', t1);
    const lease = await ledger.apply(driver, prepared);
    expect(await ledger.revert(driver, lease, 'abort')).toMatchObject({ outcome: 'reverted' });
    expect((await state()).Paused).toBe(false);
    expect(await exists(prepared.helperContainerId!)).toBe(false);
    // paused again by someone after the revert: nothing of this fault undoes it at T1
    await docker.getContainer(ids.t).pause();
    await new Promise((r) => setTimeout(r, t1 + 1_000 - Date.now()));
    expect((await state()).Paused).toBe(true);
  });

  it('a stop undone once reads as gone the second time, not as the target restarted by someone else', async () => {
    const prepared = await arm('stop', Date.now() + 30_000);
    const lease = await ledger.apply(driver, prepared);
    expect((await state()).Running).toBe(false);
    const first = await driver.revert(lease, 'abort');
    expect(first.reverted && first.result.outcome).toBe('reverted');
    expect((await state()).Running).toBe(true);
    // a second revert of the same lease (a backstop after a crash before the ledger recorded the
    // first): our own start changed StartedAt, which is no restart by another hand
    const again = await driver.revert(lease, 'reaper');
    expect(again.reverted && again.result.outcome).toBe('already_gone');
    const said = again.reverted ? (again.result.details ?? []).join('; ') : '';
    expect(said).not.toMatch(/target_gone|not ours/);
    expect(said).toMatch(/runs again/);
    expect((await ledger.revert(driver, lease, 'test cleanup')).outcome).toBe('already_gone');
  });

  it('the reaper reverts from the lease alone and removes the watchdog', async () => {
    const prepared = await arm('pause', Date.now() + 60_000);
    const lease: FaultLease = await ledger.apply(driver, prepared);
    // the worker that armed it is gone; another one sees the lease expired (only this one: a lease
    // an earlier failed test left open is not this test's)
    await expireLeases(prisma, [lease.id]);
    await prisma.activeFault.updateMany({
      where: { engine: ENGINE, revertedAt: null, id: { not: lease.id } },
      data: { expiresAt: new Date(Date.now() + 600_000) },
    });
    const fresh = new DockerFaultDriver(docker, { helperImage: await ensureHelperImage(docker), engine: ENGINE });
    expect(await sweepOnce(fresh, leases, prisma)).toBe(1);
    expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
    expect((await state()).Paused).toBe(false);
    expect(await exists(prepared.helperContainerId!)).toBe(false);
  });
});

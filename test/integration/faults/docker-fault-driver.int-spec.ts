import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync, rmSync } from 'node:fs';
import Docker from 'dockerode';
import {
  faultSchema,
  KernelCapabilityError,
  FaultStepError,
  TargetSelectionError,
  TargetGoneError,
  type FaultLease,
  type FaultSpec,
  type PreparedFault,
  type NetworkFaultSpec,
  compileNetworkFault,
} from '@gameday/core';
import { createPrismaClient, PrismaLeaseRepository, type PrismaClient } from '@gameday/db';
import { DockerFaultDriver, ensureHelperImage, execInContainer, networkArmed, parseKeyValues } from '@gameday/faults';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { clearFaults } from '../../support/fault-cleanup';
import { waitFor } from '../../support/harness';

/**
 * Real Docker Engine on this host (its kernel has no sch_netem, no sch_prio): target resolution,
 * safety refusals, the helper in the target's netns, the missing-module error with nothing left
 * behind, container faults with revert, dry runs and the lease rows.
 */
const P = `gdf-${randomBytes(3).toString('hex')}`;
const docker = new Docker();
let prisma: PrismaClient;
let leases: PrismaLeaseRepository;
let driver: DockerFaultDriver;
/** the worker's ledger: the driver writes no lease */
let ledger: LeaseLedger;
const ids: Record<string, string> = {};

function spec(input: Record<string, unknown>): FaultSpec {
  return faultSchema.parse(input);
}

async function run(name: string, labels: Record<string, string>, hostConfig: Docker.HostConfig = {}): Promise<string> {
  const c = await docker.createContainer({
    name: `${P}-${name}`,
    Image: 'debian:bookworm-slim',
    Cmd: ['sleep', '3600'],
    Labels: labels,
    HostConfig: { Init: true, ...hostConfig },
  });
  await c.start();
  return c.id;
}

async function sh(id: string, argv: string[]): Promise<string> {
  const r = await execInContainer(docker, id, argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function helpersOf(containerId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`gameday.target=${containerId}`] } });
}

async function links(id: string): Promise<string> {
  return sh(id, ['ls', '/sys/class/net']);
}

beforeAll(async () => {
  await docker.ping(); // fails loudly without an engine
  prisma = createPrismaClient(process.env.DATABASE_URL!);
  await prisma.$queryRaw`SELECT 1`;
  leases = new PrismaLeaseRepository(prisma);
  const image = await ensureHelperImage(docker);
  driver = new DockerFaultDriver(docker, { helperImage: image, engine: 'local-test' });
  ledger = new LeaseLedger(leases);
  const opt = { 'gameday.enabled': 'true' };
  ids.web1 = await run('web-1', {
    ...opt,
    app: P,
    'com.docker.compose.project': P,
    'com.docker.compose.service': 'web',
  });
  ids.web2 = await run('web-2', {
    ...opt,
    app: P,
    'com.docker.compose.project': P,
    'com.docker.compose.service': 'web',
  });
  ids.optout = await run('optout', { app: P });
  ids.hostnet = await run('hostnet', { ...opt, app: P }, { NetworkMode: 'host' });
  ids.own = await run('own', { ...opt, app: P, 'gameday.role': 'worker' });
  ids.joined = await run('joined', { ...opt, app: P }, { NetworkMode: `container:${ids.web1}` });
  ids.victim = await run('victim', { ...opt, role: `${P}-victim` });
}, 300_000);

afterAll(async () => {
  const mine = await docker.listContainers({ all: true, filters: { name: [P] } });
  const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
  const targetIds = new Set(Object.values(ids));
  for (const c of [
    ...helpers.filter((h) => targetIds.has(h.Labels['gameday.target'])),
    ...mine.filter((c) => c.Names.some((n) => n.startsWith(`/${P}-`))),
  ]) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  await prisma?.activeFault.deleteMany({ where: { containerName: { startsWith: P } } });
  await prisma?.$disconnect();
}, 120_000);

describe('target resolution', () => {
  it('by container name: exactly that container, with its netns identity', async () => {
    const r = await driver.resolveTargets(
      spec({ kind: 'network', target: { container: `${P}-web-1` }, netem: { delay: '10ms' } }),
    );
    expect(r.targets.map((t) => t.containerName)).toEqual([`${P}-web-1`]);
    const info = await docker.getContainer(ids.web1).inspect();
    expect(r.targets[0].netnsId).toBe(info.NetworkSettings.SandboxKey);
    expect(r.targets[0].engine).toBe('local-test');
  });

  it('by compose project/service with mode all', async () => {
    const r = await driver.resolveTargets(
      spec({
        kind: 'network',
        target: { compose: { project: P, service: 'web' }, selection: { mode: 'all' } },
        netem: { delay: '10ms' },
      }),
    );
    expect(r.targets.map((t) => t.containerName).sort()).toEqual([`${P}-web-1`, `${P}-web-2`]);
  });

  it('by labels: refuses not-opted-in, host-network and own containers, dedupes a shared netns', async () => {
    const r = await driver.resolveTargets(
      spec({ kind: 'network', target: { labels: { app: P }, selection: { mode: 'all' } }, netem: { delay: '10ms' } }),
    );
    expect(r.targets.map((t) => t.containerName).sort()).toEqual([`${P}-web-1`, `${P}-web-2`]);
    expect(Object.fromEntries(r.refused.map((x) => [x.name, x.reason]))).toEqual({
      [`${P}-hostnet`]: 'host_network',
      [`${P}-optout`]: 'not_opted_in',
      [`${P}-own`]: 'gameday_own_container',
    });
    expect(r.deduplicated).toEqual([{ id: ids.joined, name: `${P}-joined`, sharesNetnsWith: `${P}-web-1` }]);
  });

  it('container faults act per container: no netns dedup', async () => {
    const r = await driver.resolveTargets(
      spec({ kind: 'container', target: { labels: { app: P }, selection: { mode: 'all' } }, action: 'pause' }),
    );
    expect(r.targets.map((t) => t.containerName).sort()).toEqual([`${P}-joined`, `${P}-web-1`, `${P}-web-2`]);
  });

  it('selection modes record the random draws', async () => {
    const base = { kind: 'network', netem: { delay: '10ms' } };
    const one = await driver.resolveTargets(spec({ ...base, target: { labels: { app: P } } }), { random: () => 0.99 });
    expect(one.targets.map((t) => t.containerName)).toEqual([`${P}-web-2`]);
    expect(one.selection).toMatchObject({ mode: 'one', eligible: 2, chosen: [ids.web2], draws: [0.99] });
    const count = await driver.resolveTargets(
      spec({ ...base, target: { labels: { app: P }, selection: { mode: 'count', count: 1 } } }),
      { random: () => 0 },
    );
    expect(count.targets.map((t) => t.containerName)).toEqual([`${P}-web-1`]);
    const pct = await driver.resolveTargets(
      spec({ ...base, target: { labels: { app: P }, selection: { mode: 'percent', percent: 50 } } }),
      { random: () => 0.5 },
    );
    expect(pct.targets).toHaveLength(1);
    expect(pct.selection).toMatchObject({ mode: 'percent', requested: 50, eligible: 2 });
  });

  it('refuses a container that has not opted in, naming the label', async () => {
    const attempt = driver.resolveTargets(
      spec({ kind: 'network', target: { container: `${P}-optout` }, netem: { delay: '10ms' } }),
    );
    await expect(attempt).rejects.toBeInstanceOf(TargetSelectionError);
    await expect(
      driver.resolveTargets(spec({ kind: 'network', target: { container: `${P}-optout` }, netem: { delay: '10ms' } })),
    ).rejects.toThrow(`${P}-optout has not opted in: label gameday.enabled=true is required`);
    await expect(
      driver.resolveTargets(spec({ kind: 'network', target: { container: `${P}-hostnet` }, netem: { delay: '10ms' } })),
    ).rejects.toThrow('uses the host network');
  });
});

describe('dry run', () => {
  it('returns the resolved targets and exact argv, and runs nothing', async () => {
    const before = await links(ids.web1);
    const dry = await driver.dryRun(
      spec({ kind: 'network', target: { container: `${P}-web-1` }, netem: { delay: '500ms', jitter: '100ms' } }),
    );
    expect(dry.targets).toHaveLength(1);
    expect(dry.targets[0]).toMatchObject({
      strategy: 'sidecar',
      apply: [
        [
          'tc',
          'qdisc',
          'add',
          'dev',
          'eth0',
          'root',
          'handle',
          '4744:',
          'netem',
          'limit',
          '6250',
          'delay',
          '500ms',
          '100ms',
        ],
      ],
      verify: [['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']],
      revert: [['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem']],
    });
    expect(await helpersOf(ids.web1)).toEqual([]);
    expect(await links(ids.web1)).toBe(before);
    const c = await driver.dryRun(
      spec({ kind: 'container', target: { container: `${P}-web-2` }, action: 'kill', signal: 'SIGTERM' }),
    );
    expect(c.targets[0]).toMatchObject({
      strategy: 'docker',
      apply: [['docker', 'kill', '--signal', 'SIGTERM', ids.web2]],
      revert: [['docker', 'start', ids.web2]],
    });
    expect((await docker.getContainer(ids.web2).inspect()).State.Running).toBe(true);
  });
});

describe('sidecar helper', () => {
  it('runs in the target network namespace (same netns inode, same interfaces) with NET_ADMIN', async () => {
    const [target] = (
      await driver.resolveTargets(
        spec({ kind: 'network', target: { container: `${P}-web-1` }, netem: { delay: '10ms' } }),
      )
    ).targets;
    const helper = await driver.createHelper(target);
    try {
      expect(await sh(helper, ['readlink', '/proc/1/ns/net'])).toBe(await sh(ids.web1, ['readlink', '/proc/1/ns/net']));
      expect(await sh(helper, ['cat', '/sys/class/net/eth0/address'])).toBe(
        await sh(ids.web1, ['cat', '/sys/class/net/eth0/address']),
      );
      const info = await docker.getContainer(helper).inspect();
      expect(info.HostConfig.NetworkMode).toBe(`container:${ids.web1}`);
      expect(info.HostConfig.CapAdd).toEqual(['NET_ADMIN']);
      expect(info.Config.Labels['gameday.role']).toBe('helper');
    } finally {
      await driver.release({ helperContainerId: helper, containerId: ids.web1 } as FaultLease);
    }
    expect(await helpersOf(ids.web1)).toEqual([]);
  });
});

describe('kernel without sch_netem (this host)', () => {
  const netFault = (extra: Record<string, unknown> = {}) =>
    spec({
      kind: 'network',
      target: { container: `${P}-web-2` },
      netem: { delay: '500ms', jitter: '100ms' },
      ...extra,
    });

  async function assertNothingLeft() {
    expect(await helpersOf(ids.web2)).toEqual([]);
    expect(await links(ids.web2)).toBe('eth0\nlo');
    const rows = await prisma.activeFault.findMany({ where: { containerId: ids.web2, revertedAt: null } });
    expect(rows).toEqual([]);
  }

  it('sidecar: prepare fails naming sch_netem and the engine; no helper, no probe device, no lease', async () => {
    const [target] = (await driver.resolveTargets(netFault())).targets;
    const attempt = driver.prepare(netFault(), target, { expiresAt: new Date(Date.now() + 60_000) });
    await expect(attempt).rejects.toBeInstanceOf(KernelCapabilityError);
    await attempt.catch((err: KernelCapabilityError) => {
      expect(err.missing).toEqual(['sch_netem']);
      expect(err.message).toMatch(
        /^kernel of Docker engine local-test lacks sch_netem: load the module \(modprobe sch_netem\)/,
      );
    });
    await assertNothingLeft();
  });

  it('scoped + ingress: every missing module is named (sch_netem, sch_prio)', async () => {
    const f = netFault({ direction: 'ingress', scope: { rules: [{ destinations: ['10.0.0.0/8'] }] } });
    const [target] = (await driver.resolveTargets(f)).targets;
    const err = await driver
      .prepare(f, target, { expiresAt: new Date(Date.now() + 60_000) })
      .catch((e: unknown) => e as KernelCapabilityError);
    expect(err).toBeInstanceOf(KernelCapabilityError);
    expect((err as KernelCapabilityError).missing).toEqual(['sch_netem', 'sch_prio']);
    await assertNothingLeft();
  });

  it('nsenter strategy (worker on the Docker host as root) reports the same error', async () => {
    const f = netFault({ strategy: 'nsenter' });
    const [target] = (await driver.resolveTargets(f)).targets;
    await expect(driver.prepare(f, target, { expiresAt: new Date(Date.now() + 60_000) })).rejects.toThrow(
      /lacks sch_netem/,
    );
    await assertNothingLeft();
  });

  it('an apply that fails half-way rolls back its steps and closes the lease', async () => {
    // Not probed on purpose: ifb creation succeeds, the prio tree then fails on this kernel.
    const f = netFault({ direction: 'ingress', scope: { rules: [{ ports: [80] }] } }) as NetworkFaultSpec;
    const [target] = (await driver.resolveTargets(f)).targets;
    const helper = await driver.createHelper(target);
    const prepared: PreparedFault = {
      spec: f,
      target,
      strategy: 'sidecar',
      armed: compileNetworkFault(f),
      helperContainerId: helper,
      expiresAt: new Date(Date.now() + 60_000),
      graceMs: 1000,
      experimentIndex: 0,
    };
    try {
      const err = (await ledger.apply(driver, prepared).catch((e: unknown) => e)) as FaultStepError;
      expect(err).toBeInstanceOf(FaultStepError);
      expect(err.message).toMatch(/step 3 \(tc qdisc add dev gdifb0 root handle 4744: prio .*\) failed/);
      expect(await links(ids.web2)).toBe('eth0\nlo'); // the ifb created by step 1 is gone again
      const rows = await prisma.activeFault.findMany({ where: { containerId: ids.web2 } });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        revertReason: 'apply_failed',
        strategy: 'sidecar',
        helperContainerId: helper,
        injectedAt: null,
      });
      expect(rows[0].revertedAt).not.toBeNull();
      expect(rows[0].applyArgv).toEqual(networkArmed(prepared).apply);
    } finally {
      await driver.release(prepared);
      await prisma.activeFault.deleteMany({ where: { containerId: ids.web2 } });
    }
    await assertNothingLeft();
  });
});

describe('scheduleApply and the helper timeline (netem missing here: the planned apply fails at T0)', () => {
  it('the helper tries at T0 by its own clock, rolls back, and the timeline and lease say so', async () => {
    const f = spec({
      kind: 'network',
      target: { container: `${P}-web-2` },
      netem: { delay: '100ms' },
      scope: { rules: [{ ports: [80] }] },
    }) as NetworkFaultSpec;
    const [target] = (await driver.resolveTargets(f)).targets;
    const helper = await driver.createHelper(target);
    const prepared: PreparedFault = {
      spec: f,
      target,
      strategy: 'sidecar',
      armed: compileNetworkFault(f),
      helperContainerId: helper,
      expiresAt: new Date(Date.now() + 60_000),
      graceMs: 1000,
      experimentIndex: 0,
    };
    try {
      const t0 = new Date(Date.now() + 700);
      const lease = await ledger.schedule(driver, prepared, { applyAt: t0, revertAt: new Date(t0.getTime() + 2000) });
      expect((await leases.get(lease.id))!.plannedAt).toEqual(t0);
      expect((await ledger.readTimeline(driver, lease)).state).toBe('armed');
      await new Promise((r) => setTimeout(r, t0.getTime() - Date.now() + 400));
      const timeline = await ledger.readTimeline(driver, lease);
      expect(timeline.state).toBe('apply_failed');
      expect(timeline.plannedApplyAt).toEqual(t0);
      expect(timeline.error).toMatch(/^step 1 \(tc qdisc add dev eth0 root handle 4744: prio/);
      expect(await links(ids.web2)).toBe('eth0\nlo');
      const row = await leases.get(lease.id);
      expect(row!.revertReason).toBe('apply_failed');
      expect(row!.injectedAt).toBeNull();
    } finally {
      await driver.release(prepared);
      await prisma.activeFault.deleteMany({ where: { containerId: ids.web2 } });
    }
  });
});

describe('scheduleApply cancelled before T0', () => {
  it('revert before T0 disarms the helper: nothing is ever applied, the lease is closed', async () => {
    const f = spec({
      kind: 'network',
      target: { container: `${P}-web-2` },
      netem: { delay: '100ms' },
    }) as NetworkFaultSpec;
    const [target] = (await driver.resolveTargets(f)).targets;
    const helper = await driver.createHelper(target);
    const prepared: PreparedFault = {
      spec: f,
      target,
      strategy: 'sidecar',
      armed: compileNetworkFault(f),
      helperContainerId: helper,
      expiresAt: new Date(Date.now() + 120_000),
      graceMs: 1000,
      experimentIndex: 0,
    };
    try {
      const t0 = new Date(Date.now() + 60_000);
      const lease = await ledger.schedule(driver, prepared, { applyAt: t0, revertAt: new Date(t0.getTime() + 10_000) });
      expect(await ledger.revert(driver, lease, 'aborted')).toMatchObject({ outcome: 'already_gone' });
      const timeline = await ledger.readTimeline(driver, lease);
      expect(timeline.state).toBe('reverted');
      expect(timeline.appliedAt).toBeUndefined();
      expect((await leases.get(lease.id))!.revertReason).toBe('aborted');
    } finally {
      await driver.release(prepared);
      await prisma.activeFault.deleteMany({ where: { containerId: ids.web2 } });
    }
  });
});

describe('PrismaLeaseRepository', () => {
  it('first revert wins; failures are counted; expired unreverted leases are listed oldest first', async () => {
    const base = {
      kind: 'container' as const,
      strategy: 'docker' as const,
      engine: 'local-test',
      experimentIndex: 0,
      containerId: `${P}-ledger`,
      containerName: `${P}-ledger`,
      applyArgv: [['docker', 'pause', 'x']],
      revertArgv: [['docker', 'unpause', 'x']],
    };
    const older = await leases.record({ ...base, expiresAt: new Date(Date.now() - 60_000) });
    const newer = await leases.record({ ...base, expiresAt: new Date(Date.now() - 1_000) });
    const future = await leases.record({ ...base, expiresAt: new Date(Date.now() + 60_000) });
    const expired = (await leases.listExpiredUnreverted(new Date()))
      .filter((l) => l.containerId === base.containerId)
      .map((l) => l.id);
    expect(expired).toEqual([older.id, newer.id]);
    await leases.recordRevertFailure(older.id, 'engine unreachable');
    await leases.recordRevertFailure(older.id, 'engine unreachable again');
    const first = new Date(Date.now() - 500);
    await leases.markReverted(older.id, first, 'reaper');
    await leases.markReverted(older.id, new Date(), 'helper_expired');
    expect(await leases.get(older.id)).toMatchObject({
      revertedAt: first,
      revertReason: 'reaper',
      revertAttempts: 2,
      lastError: 'engine unreachable again',
    });
    expect((await leases.listActive()).map((l) => l.id)).toEqual(expect.arrayContaining([newer.id, future.id]));
    expect((await leases.listActive()).map((l) => l.id)).not.toContain(older.id);
    await prisma.activeFault.deleteMany({ where: { containerId: base.containerId } });
  });
});

describe('verify and revert from the lease alone (our ingress qdisc stands in for netem on this kernel)', () => {
  const expected = {
    qdiscs: [{ dev: 'eth0', kind: 'ingress', handle: 'ffff:', parent: 'ingress' }],
    owned: [{ dev: 'eth0', handle: 'ffff:', kind: 'ingress' }],
    devices: ['eth0'],
    filterCount: 0,
    filters: [],
    filterShows: [],
  };
  const apply = ['tc', 'qdisc', 'add', 'dev', 'eth0', 'handle', 'ffff:', 'ingress'];
  const undo = ['tc', 'qdisc', 'del', 'dev', 'eth0', 'handle', 'ffff:', 'ingress'];

  // A case that fails half-way leaves its qdisc (its helper is removed without a revert) and its
  // lease: its second run, and every later case, then found web-1 under a fault (CI: one verify
  // miss became four failures). Each case starts from a clean web-1.
  const web1 = async () =>
    (
      await driver.resolveTargets(
        spec({ kind: 'network', target: { container: `${P}-web-1` }, netem: { delay: '1ms' } }),
      )
    ).targets[0];

  afterEach(async () => {
    await clearFaults(docker, prisma, 'local-test', [ids.web1]);
    const target = await web1();
    const helper = await driver.createHelper(target);
    try {
      if (/ffff:/.test(await sh(helper, ['tc', 'qdisc', 'show', 'dev', 'eth0']))) await sh(helper, undo);
    } finally {
      await docker.getContainer(helper).remove({ force: true });
    }
  }, 60_000);

  /** verify, with what the target's netns and the helper held when it did not say ok */
  async function verified(lease: FaultLease, helper: string) {
    const outcome = await driver.verify(lease);
    if (!outcome.ok)
      console.log(
        `verify: ${JSON.stringify(outcome)}; tc: ${await sh(helper, ['tc', 'qdisc', 'show', 'dev', 'eth0']).catch(String)}; helper: ${await sh(helper, ['gameday-helper', 'status']).catch(String)}`,
      );
    return outcome;
  }

  async function leaseWithHelper() {
    const target = await web1();
    const helper = await driver.createHelper(target);
    await sh(helper, [
      'gameday-helper',
      'apply',
      String(Date.now() + 600_000),
      '1',
      String(apply.length),
      ...apply,
      String(undo.length),
      ...undo,
    ]);
    const lease = await leases.record({
      kind: 'network',
      strategy: 'sidecar',
      engine: 'local-test',
      experimentIndex: 0,
      containerId: ids.web1,
      containerName: `${P}-web-1`,
      netnsId: target.netnsId,
      device: 'eth0',
      handle: 'ffff:',
      helperContainerId: helper,
      applyArgv: [apply],
      verifyArgv: [['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']],
      revertArgv: [undo],
      details: { kindPart: { expected } },
      injectedAt: new Date(),
      expiresAt: new Date(Date.now() + 600_000),
    });
    return { lease, helper };
  }

  it('verify reads the real tc -j output; a competing tool removing the qdisc is detected', async () => {
    const { lease, helper } = await leaseWithHelper();
    try {
      expect(await verified(lease, helper)).toEqual({ ok: true });
      await sh(helper, undo); // "another tool" removes it
      expect(await driver.verify(lease)).toEqual({
        ok: false,
        reasons: ['eth0 ingress ffff: not found'],
      });
      expect(await ledger.revert(driver, lease, 'planned_end')).toMatchObject({ outcome: 'already_gone' });
    } finally {
      await driver.release(lease);
    }
  });

  it('a revert that finds the helper already reverted records the helper instant, not when it looked', async () => {
    const { lease, helper } = await leaseWithHelper();
    try {
      // the helper's own clock took it out (as at T1); the worker gets to look later (an engine
      // that was restarting, a backstop after a lapsed claim)
      await sh(helper, ['gameday-helper', 'revert', 'scheduled']);
      const st = parseKeyValues(await sh(helper, ['gameday-helper', 'status']));
      await new Promise((r) => setTimeout(r, 1_500));
      const result = await ledger.revert(driver, lease, 'planned_end');
      expect(result.outcome).toBe('already_gone');
      expect(result.at.getTime()).toBe(Number(st.reverted_at));
      expect((await leases.get(lease.id))!.revertedAt!.getTime()).toBe(Number(st.reverted_at));
    } finally {
      await driver.release(lease);
    }
  });

  it('an abort reaches the helper as a signal (no exec before the undo); the exec only confirms', async () => {
    const { lease, helper } = await leaseWithHelper();
    try {
      const asked = Date.now();
      const result = await ledger.revert(driver, lease, 'abort');
      expect(result.outcome).toBe('reverted');
      const st = parseKeyValues(await sh(helper, ['gameday-helper', 'status']));
      expect(st.revert_reason).toBe('signal');
      // the fault left the kernel at the helper's instant, not when the confirming exec returned
      expect(result.at.getTime()).toBe(Number(st.reverted_at));
      expect(result.at.getTime()).toBeGreaterThanOrEqual(asked);
      expect(await sh(helper, ['tc', 'qdisc', 'show', 'dev', 'eth0'])).not.toMatch(/ffff:/);
      expect((await leases.get(lease.id))!.revertReason).toBe('abort');
    } finally {
      await driver.release(lease);
    }
  });

  it('the helper was removed (docker rm -f skips its trap): revert runs the stored argv in a fresh helper', async () => {
    const { lease, helper } = await leaseWithHelper();
    await docker.getContainer(helper).remove({ force: true });
    const check = await driver.createHelper(
      (
        await driver.resolveTargets(
          spec({ kind: 'network', target: { container: `${P}-web-1` }, netem: { delay: '1ms' } }),
        )
      ).targets[0],
    );
    try {
      expect(await sh(check, ['tc', 'qdisc', 'show', 'dev', 'eth0'])).toMatch(/ingress ffff:/); // leaked until someone reverts
      const result = await ledger.revert(driver, lease, 'reaper');
      expect(result.outcome).toBe('reverted');
      expect(await sh(check, ['tc', 'qdisc', 'show', 'dev', 'eth0'])).not.toMatch(/ffff:/);
      expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
      expect((await helpersOf(ids.web1)).map((h) => h.Id)).toEqual([check]); // the temporary helper is gone
      expect(await ledger.revert(driver, lease, 'again')).toMatchObject({ outcome: 'already_gone' });
    } finally {
      await driver.release({ helperContainerId: check, containerId: ids.web1 } as FaultLease);
    }
  });
});

describe('nsenter on the Docker host: the netns armed, the ledger, the watchdog (our ingress qdisc stands in for netem here)', () => {
  // The PID seen at arming may belong to any process after a restart (often one in the host's
  // netns): nothing may be applied or removed through it.
  const f = () =>
    spec({
      kind: 'network',
      target: { container: `${P}-restart` },
      netem: { delay: '1ms' },
      strategy: 'nsenter',
    }) as NetworkFaultSpec;
  const add = ['tc', 'qdisc', 'add', 'dev', 'eth0', 'handle', 'ffff:', 'ingress'];
  const del = ['tc', 'qdisc', 'del', 'dev', 'eth0', 'handle', 'ffff:', 'ingress'];
  const show = ['tc', 'qdisc', 'show', 'dev', 'eth0'];
  const pidOf = async () => (await docker.getContainer(ids.restart).inspect()).State.Pid;
  const inNetns = (pid: number, argv: string[]) =>
    execFileSync('nsenter', ['-t', String(pid), '-n', '--', ...argv], { encoding: 'utf8' });

  beforeAll(async () => {
    ids.restart = await run('restart', { 'gameday.enabled': 'true' });
  });

  /** What prepare records for nsenter (it cannot run here: it probes for sch_netem first). */
  async function armed(): Promise<PreparedFault> {
    const [target] = (await driver.resolveTargets(f())).targets;
    const compiled = {
      ...compileNetworkFault(f()),
      apply: [add],
      undo: [del],
      revert: [del],
      verify: [['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']],
      expected: {
        qdiscs: [{ dev: 'eth0', kind: 'ingress', handle: 'ffff:', parent: 'ingress' }],
        owned: [{ dev: 'eth0', handle: 'ffff:', kind: 'ingress' }],
        devices: ['eth0'],
        filterCount: 0,
        filters: [],
        filterShows: [],
      },
    };
    return {
      spec: f(),
      target: { ...target, netnsInode: readlinkSync(`/proc/${target.pid}/ns/net`) },
      strategy: 'nsenter',
      armed: compiled,
      expiresAt: new Date(Date.now() + 60_000),
      graceMs: 1000,
      experimentIndex: 0,
    };
  }

  async function restart() {
    const before = (await docker.getContainer(ids.restart).inspect()).NetworkSettings.SandboxKey;
    await docker.getContainer(ids.restart).restart({ t: 0 });
    expect((await docker.getContainer(ids.restart).inspect()).NetworkSettings.SandboxKey).not.toBe(before);
  }

  it('restarted during the baseline: apply touches nothing and the lease closes as target_gone', async () => {
    const prepared = await armed();
    await restart();
    const err = await ledger.apply(driver, prepared).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetGoneError);
    expect((err as Error).message).toMatch(/restarted since arming .*nothing was applied or removed there/);
    const rows = await prisma.activeFault.findMany({ where: { containerId: ids.restart } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ revertReason: 'target_gone', injectedAt: null });
    expect(inNetns(await pidOf(), show)).not.toMatch(/ingress ffff:/);
    expect(execFileSync('tc', ['qdisc', 'show'], { encoding: 'utf8' })).not.toMatch(/ingress ffff:/); // nor on the host
    await prisma.activeFault.deleteMany({ where: { containerId: ids.restart } });
  });

  it("restarted during the fault: revert leaves the new netns alone (another run's qdisc there survives)", async () => {
    const lease = await ledger.apply(driver, await armed());
    expect(inNetns(await pidOf(), show)).toMatch(/ingress ffff:/);
    await restart();
    const pid = await pidOf();
    inNetns(pid, add); // another run's fault in the restarted target, under the same handle
    try {
      const result = await ledger.revert(driver, lease, 'planned_end');
      expect(result.outcome).toBe('already_gone');
      expect(result.details?.[0]).toMatch(/^target_gone: the target restarted since arming/);
      expect(inNetns(pid, show)).toMatch(/ingress ffff:/);
    } finally {
      inNetns(pid, del);
      await prisma.activeFault.deleteMany({ where: { containerId: ids.restart } });
    }
  });

  it('a ledger row changed in Postgres: revert and verify run nothing but our own tc/ip commands, as root', async () => {
    const lease = await ledger.apply(driver, await armed());
    const marker = `/tmp/gd-ledger-${randomBytes(4).toString('hex')}`;
    try {
      await prisma.activeFault.update({
        where: { id: lease.id },
        data: { revertArgv: [['sh', '-c', `touch ${marker}`]], verifyArgv: [['ip', 'netns', 'exec', 'x', 'true']] },
      });
      const tampered = (await leases.get(lease.id))!;
      await expect(ledger.revert(driver, tampered, 'reaper')).rejects.toThrow(
        /refused to run \["sh","-c","touch .*from the lease ledger \(revert\)/,
      );
      await expect(driver.verify(tampered)).rejects.toThrow(/refused to run \["ip","netns","exec"/);
      expect(existsSync(marker)).toBe(false);
      expect((await leases.get(lease.id))!).toMatchObject({ revertedAt: null, revertAttempts: 1 });
    } finally {
      inNetns(await pidOf(), del);
      rmSync(marker, { force: true });
      await prisma.activeFault.deleteMany({ where: { containerId: ids.restart } });
    }
  });

  it('the watchdog removes an nsenter fault at expiry + grace by its own clock, with no worker involved', async () => {
    const prepared = await armed();
    const expireAt = Date.now() + 4_000;
    prepared.helperContainerId = await driver.armWatchdog(prepared.target, networkArmed(prepared), expireAt);
    try {
      const lease = await ledger.apply(driver, prepared);
      expect(lease.helperContainerId).toBe(prepared.helperContainerId);
      expect(inNetns(await pidOf(), show)).toMatch(/ingress ffff:/);
      // nobody reverts: the worker "died" right after applying
      await waitFor(
        'the watchdog to remove the fault',
        async () => !/ingress ffff:/.test(inNetns(await pidOf(), show)),
        15_000,
        100,
      );
      const late = Date.now() - expireAt;
      console.log(`nsenter watchdog removed the fault ${late} ms after its expiry`);
      expect(late).toBeLessThan(2_000);
      const status = await sh(prepared.helperContainerId, ['gameday-helper', 'status']);
      expect(status).toMatch(/state=reverted/);
      expect(status).toMatch(/revert_reason=expired/);
    } finally {
      await driver.release(prepared);
      await prisma.activeFault.deleteMany({ where: { containerId: ids.restart } });
    }
  });

  it('a revert goes through the watchdog, which then stands down (it never acts on a later fault)', async () => {
    const prepared = await armed();
    prepared.helperContainerId = await driver.armWatchdog(prepared.target, networkArmed(prepared), Date.now() + 60_000);
    try {
      const lease = await ledger.apply(driver, prepared);
      expect(await ledger.revert(driver, lease, 'planned_end')).toMatchObject({ outcome: 'reverted' });
      expect(inNetns(await pidOf(), show)).not.toMatch(/ingress ffff:/);
      const status = await sh(prepared.helperContainerId, ['gameday-helper', 'status']);
      expect(status).toMatch(/state=reverted/);
      expect(status).toMatch(/revert_reason=planned_end/);
      // a later fault under the same handle survives the watchdog's removal (a stop would revert an armed one)
      inNetns(await pidOf(), add);
      await driver.release(prepared);
      expect(inNetns(await pidOf(), show)).toMatch(/ingress ffff:/);
    } finally {
      inNetns(await pidOf(), del);
      await prisma.activeFault.deleteMany({ where: { containerId: ids.restart } });
    }
  });

  it('not restarted: apply and revert go through the same netns, by the PID checked right then', async () => {
    const lease = await ledger.apply(driver, await armed());
    expect(lease.details?.netnsInode).toBe(readlinkSync(`/proc/${await pidOf()}/ns/net`));
    expect(inNetns(await pidOf(), show)).toMatch(/ingress ffff:/);
    expect(await ledger.revert(driver, lease, 'planned_end')).toMatchObject({ outcome: 'reverted' });
    expect(inNetns(await pidOf(), show)).not.toMatch(/ingress ffff:/);
    await prisma.activeFault.deleteMany({ where: { containerId: ids.restart } });
  });
});

describe('exec strategy', () => {
  it('a target without tc/ip gets a clear error before anything is applied', async () => {
    const f = spec({
      kind: 'network',
      target: { container: `${P}-web-2` },
      netem: { delay: '10ms' },
      strategy: 'exec',
    });
    const [target] = (await driver.resolveTargets(f)).targets;
    await expect(driver.prepare(f, target, { expiresAt: new Date(Date.now() + 60_000) })).rejects.toThrow(
      /cannot create a probe device in the target's network namespace \(ip link add gdp[0-9a-f]{6}a type veth peer name gdp[0-9a-f]{6}b\): ip cannot be run there \(exit code 12[67].*the sidecar strategy brings its own/,
    );
    expect(await links(ids.web2)).toBe('eth0\nlo');
  });
});

describe('container faults with revert', () => {
  async function inject(action: string, extra: Record<string, unknown> = {}) {
    const f = spec({ kind: 'container', target: { container: `${P}-victim` }, action, ...extra });
    const [target] = (await driver.resolveTargets(f)).targets;
    const prepared = await driver.prepare(f, target, { expiresAt: new Date(Date.now() + 60_000) });
    return ledger.apply(driver, prepared);
  }
  const state = async () => (await docker.getContainer(ids.victim).inspect()).State;

  it('pause → unpause, idempotent, lease recorded and closed', async () => {
    const lease = await inject('pause');
    expect((await state()).Paused).toBe(true);
    expect(await driver.verify(lease)).toEqual({ ok: true });
    const row = await leases.get(lease.id);
    expect(row).toMatchObject({
      kind: 'container',
      strategy: 'docker',
      containerId: ids.victim,
      revertedAt: null,
      applyArgv: [['docker', 'pause', ids.victim]],
      revertArgv: [['docker', 'unpause', ids.victim]],
    });
    expect(row!.injectedAt).toBeInstanceOf(Date);
    expect((await leases.listActive()).map((l) => l.id)).toContain(lease.id);
    expect(await ledger.revert(driver, lease, 'planned_end')).toMatchObject({ outcome: 'reverted' });
    expect((await state()).Paused).toBe(false);
    expect(await ledger.revert(driver, lease, 'again')).toMatchObject({ outcome: 'already_gone' });
    const closed = await leases.get(lease.id);
    expect(closed).toMatchObject({ revertReason: 'planned_end' });
    expect((await leases.listActive()).map((l) => l.id)).not.toContain(lease.id);
  });

  it('stop → start', async () => {
    const lease = await inject('stop');
    expect((await state()).Running).toBe(false);
    expect(await driver.verify(lease)).toEqual({ ok: true });
    expect(await ledger.revert(driver, lease, 'planned_end')).toMatchObject({ outcome: 'reverted' });
    expect((await state()).Running).toBe(true);
  });

  it("stop waits the container's own stop timeout, as `docker stop` does, not a fixed 10 s", async () => {
    // PID 1 a sleep with no TERM handler: only the KILL after the timeout stops it
    const c = await docker.createContainer({
      name: `${P}-stubborn`,
      Image: 'debian:bookworm-slim',
      Cmd: ['sleep', '3600'],
      Labels: { 'gameday.enabled': 'true' },
      StopTimeout: 1,
    });
    await c.start();
    ids.stubborn = c.id;
    const f = spec({ kind: 'container', target: { container: `${P}-stubborn` }, action: 'stop' });
    const [target] = (await driver.resolveTargets(f)).targets;
    const prepared = await driver.prepare(f, target, { expiresAt: new Date(Date.now() + 60_000) });
    try {
      const began = Date.now();
      const lease = await ledger.apply(driver, prepared);
      const tookMs = Date.now() - began;
      console.log(`stop of a container with StopTimeout 1 took ${tookMs} ms`);
      expect((await c.inspect()).State.Running).toBe(false);
      expect(tookMs).toBeLessThan(8_000);
      await ledger.revert(driver, lease, 'planned_end');
      expect((await c.inspect()).State.Running).toBe(true);
    } finally {
      // its watchdog too, when the case failed before the revert stood it down
      await driver.release(prepared);
    }
  });

  it('kill (signal) → start', async () => {
    const lease = await inject('kill', { signal: 'SIGKILL' });
    expect((await state()).Running).toBe(false);
    expect(await ledger.revert(driver, lease, 'planned_end')).toMatchObject({ outcome: 'reverted' });
    expect((await state()).Running).toBe(true);
  });

  it('restart → already running on revert', async () => {
    const before = (await state()).StartedAt;
    const lease = await inject('restart');
    expect((await state()).StartedAt).not.toBe(before);
    expect(await ledger.revert(driver, lease, 'planned_end')).toMatchObject({ outcome: 'already_gone' });
    expect((await state()).Running).toBe(true);
  });

  it('lists expired unreverted leases for the reaper', async () => {
    const f = spec({ kind: 'container', target: { container: `${P}-victim` }, action: 'pause' });
    const [target] = (await driver.resolveTargets(f)).targets;
    const lease = await ledger.apply(
      driver,
      await driver.prepare(f, target, { expiresAt: new Date(Date.now() - 1000) }),
    );
    expect((await leases.listExpiredUnreverted(new Date())).map((l) => l.id)).toContain(lease.id);
    await ledger.revert(driver, lease, 'reaper');
    expect((await leases.listExpiredUnreverted(new Date())).map((l) => l.id)).not.toContain(lease.id);
    expect((await state()).Paused).toBe(false);
  });
});

describe('helper safety net (real qdisc: htb stands in for netem on this kernel)', () => {
  // The helper script is kind-agnostic: it runs the argv it is given. htb exists on this host.
  const apply = ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '4744:', 'htb'];
  const undo = ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'htb'];
  const steps = ['1', String(apply.length), ...apply, String(undo.length), ...undo];
  let helper: string;
  const qdisc = async () => sh(helper, ['tc', 'qdisc', 'show', 'dev', 'eth0']);
  const status = async () =>
    Object.fromEntries(
      (await sh(helper, ['gameday-helper', 'status']))
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );

  beforeEach(async () => {
    const [target] = (
      await driver.resolveTargets(
        spec({ kind: 'network', target: { container: `${P}-web-2` }, netem: { delay: '1ms' } }),
      )
    ).targets;
    helper = await driver.createHelper(target);
  });
  afterEach(async () => {
    await driver.release({ helperContainerId: helper, containerId: ids.web2 } as FaultLease);
    expect(await helpersOf(ids.web2)).toEqual([]);
  });

  it('self-expiry removes the qdisc at expiresAt + grace with nobody else involved', async () => {
    const expireAt = Date.now() + 1500;
    await sh(helper, ['gameday-helper', 'apply', String(expireAt), ...steps]);
    expect(await qdisc()).toMatch(/qdisc htb 4744: root/);
    await new Promise((r) => setTimeout(r, 2200));
    expect(await qdisc()).not.toMatch(/4744:/);
    const s = await status();
    expect(s.state).toBe('reverted');
    expect(s.revert_reason).toBe('expired');
    const lateMs = Number(s.reverted_at) - expireAt;
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(500);
  });

  it('killed with SIGKILL from outside: restarted by its policy, it removes the fault at once', async () => {
    // far from expiry: the restarted helper does not wait for it (whoever drove the fault lost it)
    const expireAt = Date.now() + 600_000;
    await sh(helper, ['gameday-helper', 'apply', String(expireAt), ...steps]);
    const pid = (await docker.getContainer(helper).inspect()).State.Pid;
    execFileSync('kill', ['-9', String(pid)]);
    for (let i = 0; i < 100 && !(await docker.getContainer(helper).inspect()).State.Running; i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await qdisc()).not.toMatch(/4744:/);
    const s = await status();
    expect(s.revert_reason).toBe('restarted');
    expect(Number((await docker.getContainer(helper).inspect()).RestartCount)).toBeGreaterThanOrEqual(1);
  });

  it('stopped (TERM) before expiry: its trap removes the fault first', async () => {
    await sh(helper, ['gameday-helper', 'apply', String(Date.now() + 600_000), ...steps]);
    expect(await qdisc()).toMatch(/4744:/);
    await docker.getContainer(helper).stop({ t: 10 });
    const probe = await driver.createHelper(
      (
        await driver.resolveTargets(
          spec({ kind: 'network', target: { container: `${P}-web-2` }, netem: { delay: '1ms' } }),
        )
      ).targets[0],
    );
    try {
      expect(await sh(probe, ['tc', 'qdisc', 'show', 'dev', 'eth0'])).not.toMatch(/4744:/);
    } finally {
      await driver.release({ helperContainerId: probe, containerId: ids.web2 } as FaultLease);
    }
  });

  it('scheduled: applies at T0 and reverts at T1 by its own clock, and reports both instants', async () => {
    const t0 = Date.now() + 800;
    const t1 = t0 + 1000;
    await sh(helper, ['gameday-helper', 'schedule', String(t0), String(t1), String(t1 + 5000), ...steps]);
    expect((await status()).state).toBe('armed');
    await new Promise((r) => setTimeout(r, t0 - Date.now() + 300));
    expect(await qdisc()).toMatch(/4744:/);
    await new Promise((r) => setTimeout(r, t1 - Date.now() + 300));
    expect(await qdisc()).not.toMatch(/4744:/);
    const s = await status();
    expect(s.revert_reason).toBe('scheduled');
    const applySkew = Number(s.applied_at) - t0;
    const revertSkew = Number(s.reverted_at) - t1;
    expect(applySkew).toBeGreaterThanOrEqual(0);
    expect(applySkew).toBeLessThan(250);
    expect(revertSkew).toBeGreaterThanOrEqual(0);
    expect(revertSkew).toBeLessThan(250);
    process.stdout.write(`helper skew on this host: apply +${applySkew} ms, revert +${revertSkew} ms\n`);
  });

  it('refuses a second fault while one is applied, and revert is idempotent', async () => {
    await sh(helper, ['gameday-helper', 'apply', String(Date.now() + 600_000), ...steps]);
    const again = await execInContainer(docker, helper, [
      'gameday-helper',
      'apply',
      String(Date.now() + 600_000),
      ...steps,
    ]);
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toMatch(/already applied/);
    expect(await sh(helper, ['gameday-helper', 'revert', 'test'])).toMatch(/was=applied/);
    expect(await sh(helper, ['gameday-helper', 'revert', 'test'])).toMatch(/was=reverted/);
    expect(await qdisc()).not.toMatch(/4744:/);
  });
});

import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import Docker from 'dockerode';
import {
  compileNetworkFault,
  faultSchema,
  KernelCapabilityError,
  TargetGoneError,
  type NetworkFaultSpec,
  type PreparedFault,
} from '@gameday/core';
import { createPrismaClient, PrismaLeaseRepository, type PrismaClient } from '@gameday/db';
import { DockerFaultDriver, ensureHelperImage } from '@gameday/faults';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';

/**
 * nsenter enters the network namespace that was checked, not whatever the target's PID leads to a
 * moment later. A PID is only a number: after a restart it may belong to any process, in another
 * container's netns or the host's. Here the PID's netns changes on purpose between the check and
 * the action (the target's own PID 1 moves itself into a fresh, private netns), which is what a
 * reused PID looks like to nsenter; whatever goes wrong lands in a test container's namespace,
 * never the host's.
 */
const P = `gdpin-${randomBytes(3).toString('hex')}`;
const docker = new Docker();
let prisma: PrismaClient;
let driver: DockerFaultDriver;
let ledger: LeaseLedger;
const ids: Record<string, string> = {};

/** PID 1 moves itself into a new netns on SIGUSR1 (same PID, the container keeps its own netns). */
const FLIPPER = 'trap "exec unshare -n sleep 3600" USR1; while :; do sleep 1 & wait $!; done';

async function run(name: string, cmd: string[], hostConfig: Docker.HostConfig = {}): Promise<string> {
  const c = await docker.createContainer({
    name: `${P}-${name}`,
    Image: 'debian:bookworm-slim',
    Cmd: cmd,
    Labels: { 'gameday.enabled': 'true' },
    HostConfig: hostConfig,
  });
  await c.start();
  return c.id;
}

const inspect = (id: string) => docker.getContainer(id).inspect();
/** Runs argv in the container's own netns, reached through Docker's handle on it (not by PID). */
const inSandbox = async (id: string, argv: string[]) =>
  execFileSync('nsenter', [`--net=${(await inspect(id)).NetworkSettings.SandboxKey}`, '--', ...argv], {
    encoding: 'utf8',
  });
const byPid = (pid: number, argv: string[]) =>
  execFileSync('nsenter', ['-t', String(pid), '-n', '--', ...argv], { encoding: 'utf8' });

/** Link events in a netns while `during` runs (`ip monitor` subscribes before anything happens). */
async function linkEvents(netnsPath: string, during: () => Promise<unknown>): Promise<string> {
  const monitor: ChildProcess = spawn('nsenter', [`--net=${netnsPath}`, '--', 'ip', '-o', 'monitor', 'link']);
  let out = '';
  monitor.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => setTimeout(r, 300));
  try {
    await during().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    monitor.kill('SIGKILL');
  }
  return out;
}

const f = (container: string) =>
  faultSchema.parse({
    kind: 'network',
    target: { container },
    netem: { delay: '1ms' },
    strategy: 'nsenter',
  }) as NetworkFaultSpec;

beforeAll(async () => {
  await docker.ping();
  prisma = createPrismaClient(process.env.DATABASE_URL!);
  ledger = new LeaseLedger(new PrismaLeaseRepository(prisma));
  driver = new DockerFaultDriver(docker, {
    helperImage: await ensureHelperImage(docker),
    engine: `pin-test-${P}`,
  });
  ids.victim = await run('victim', ['sleep', '3600'], { Init: true });
}, 120_000);

afterAll(async () => {
  const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
  const targets = new Set(Object.values(ids));
  for (const id of [...helpers.filter((h) => targets.has(h.Labels['gameday.target'])).map((h) => h.Id), ...targets])
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  await prisma?.activeFault.deleteMany({ where: { engine: `pin-test-${P}` } });
  await prisma?.$disconnect();
}, 60_000);

it('apply: every step lands in the netns checked, even when the PID leads elsewhere by the next step', async () => {
  // no docker-init: the flipper is the container's PID 1, the PID Docker reports
  ids.flip = await run('flip', ['sh', '-c', FLIPPER], { CapAdd: ['SYS_ADMIN'] });
  const [target] = (await driver.resolveTargets(f(`${P}-flip`))).targets;
  const pid = (await inspect(ids.flip)).State.Pid;
  const armedInode = readlinkSync(`/proc/${pid}/ns/net`);
  // step 1 (after the check, like the seconds an engine can take) moves the PID's netns away;
  // step 2 is the fault, htb standing in for netem on this kernel
  const moveAway = [
    'sh',
    '-c',
    `kill -USR1 ${pid}; i=0; while [ "$(readlink /proc/${pid}/ns/net)" = "${armedInode}" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done`,
  ];
  const add = ['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '4744:', 'htb'];
  const del = ['tc', 'qdisc', 'del', 'dev', 'lo', 'root', 'handle', '4744:', 'htb'];
  const prepared: PreparedFault = {
    spec: f(`${P}-flip`),
    target: { ...target, netnsInode: armedInode },
    strategy: 'nsenter',
    armed: { ...compileNetworkFault(f(`${P}-flip`)), apply: [moveAway, add], undo: [null, del], revert: [del] },
    expiresAt: new Date(Date.now() + 60_000),
    graceMs: 1000,
    experimentIndex: 0,
  };
  await ledger.apply(driver, prepared);
  // the PID did move: it is in a private netns now, while the container keeps its own
  expect(readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(armedInode);
  expect((await inspect(ids.flip)).State.Pid).toBe(pid);
  expect(byPid(pid, ['tc', 'qdisc', 'show', 'dev', 'lo'])).not.toMatch(/4744:/);
  expect(await inSandbox(ids.flip, ['tc', 'qdisc', 'show', 'dev', 'lo'])).toMatch(/htb 4744:/);
});

it('prepare probes the target netns, not where the PID seen at resolution leads by then', async () => {
  ids.target = await run('target', ['sleep', '3600'], { Init: true });
  const [target] = (await driver.resolveTargets(f(`${P}-target`))).targets;
  // the PID resolution saw now belongs to another container's process (a reused PID)
  const stale = { ...target, pid: (await inspect(ids.victim)).State.Pid };
  const victimNetns = (await inspect(ids.victim)).NetworkSettings.SandboxKey;
  const targetNetns = (await inspect(ids.target)).NetworkSettings.SandboxKey;
  let err: unknown;
  const inVictim = await linkEvents(victimNetns, async () => {
    err = await driver.prepare(f(`${P}-target`), stale, { expiresAt: new Date(Date.now() + 60_000) }).catch((e) => e);
  });
  const inTarget = await linkEvents(targetNetns, () =>
    driver.prepare(f(`${P}-target`), target, { expiresAt: new Date(Date.now() + 60_000) }),
  );
  expect(err).toBeInstanceOf(KernelCapabilityError); // probed (in the target's netns), no netem here
  expect(inVictim).not.toMatch(/gdp/);
  expect(inTarget).toMatch(/gdp[0-9a-f]{6}a/); // the probe device shows where a probe runs
  expect(await inSandbox(ids.target, ['ip', '-o', 'link'])).not.toMatch(/gdp/);
});

it('a helper that started after the target restarted is removed again: no lease covers the netns it joined', async () => {
  ids.restart = await run('restart', ['sleep', '3600'], { Init: true });
  const [target] = (await driver.resolveTargets(f(`${P}-restart`))).targets;
  await docker.getContainer(ids.restart).restart({ t: 0 });
  const err = await driver.createHelper(target).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TargetGoneError);
  expect((err as Error).message).toMatch(/restarted since arming/);
  const helpers = await docker.listContainers({ all: true, filters: { label: [`gameday.target=${ids.restart}`] } });
  expect(helpers).toEqual([]);
});

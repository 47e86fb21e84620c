import { randomBytes } from 'node:crypto';
import http from 'node:http';
import Docker from 'dockerode';
import { faultSchema, type BlackholeFaultSpec, type ResolvedTarget } from '@gameday/core';
import { PrismaLeaseRepository, PrismaService } from '@gameday/db';
import {
  blackholeArmed,
  blackholePart,
  DockerFaultDriver,
  ensureHelperImage,
  parseKeyValues,
  execInContainer,
} from '@gameday/faults';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { waitFor } from '../../support/harness';
import { inSandbox as inSandboxOf, netnsTables } from '../../support/netns-tables';
import { sweepOnce, expireLeases } from '../../support/lease-reaper';

/**
 * The blackhole kind on the host's real Docker Engine (its kernel has legacy x_tables and
 * nf_tables). The target serves HTTP on ports 80 and 81 on a user-defined network, so Docker's
 * embedded DNS rules sit in its netns' nat table. Everything is judged from OUTSIDE the target,
 * from this host over the bridge: the blackholed port is dead while the other one answers, and
 * after the revert both answer and every table in the netns reads as it did before.
 */
const P = `gdbh-${randomBytes(3).toString('hex')}`;
const ENGINE = `blackhole-test-${P}`;
const docker = new Docker();
const prisma = new PrismaService(process.env.DATABASE_URL!);
const leases = new PrismaLeaseRepository(prisma);
/** the worker's ledger: the driver writes no lease */
const ledger = new LeaseLedger(leases);
let driver: DockerFaultDriver;
let target: ResolvedTarget;
let ip: string;
let gateway: string;
let sandbox: string;

/** One HTTP GET from this host: 'ok', 'refused' (a reset) or 'timeout' (dropped). */
function get(port: number, timeoutMs = 700): Promise<'ok' | 'refused' | 'timeout' | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? err.message)),
    );
  });
}

const inSandbox = (argv: string[]) => inSandboxOf(sandbox, argv);
const tables = () => netnsTables(sandbox);

const ourLines = () =>
  inSandbox(['iptables-legacy', '-S'])
    .split('\n')
    .filter((l) => /GAMEDAY-/.test(l));

function spec(input: Record<string, unknown>): BlackholeFaultSpec {
  return faultSchema.parse({ kind: 'blackhole', target: { container: `${P}-web` }, ...input }) as BlackholeFaultSpec;
}

beforeAll(async () => {
  await docker.ping();
  driver = new DockerFaultDriver(docker, { helperImage: await ensureHelperImage(docker), engine: ENGINE });
  await docker.createNetwork({ Name: `${P}-net` });
  const c = await docker.createContainer({
    name: `${P}-web`,
    Image: await ensureLabTargetImage(docker),
    Cmd: ['sh', '-c', 'httpd -p 81 -h /www && exec httpd -f -p 80 -h /www'],
    Labels: { 'gameday.enabled': 'true' },
    HostConfig: { NetworkMode: `${P}-net` },
  });
  await c.start();
  const info = await c.inspect();
  ip = info.NetworkSettings.Networks[`${P}-net`].IPAddress;
  gateway = info.NetworkSettings.Networks[`${P}-net`].Gateway;
  sandbox = info.NetworkSettings.SandboxKey;
  target = (await driver.resolveTargets(spec({ peers: ['10.0.0.1'] }))).targets[0];
  await waitFor('the target to serve both ports', async () => (await get(80)) === 'ok' && (await get(81)) === 'ok');
}, 600_000);

afterAll(async () => {
  const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
  for (const h of helpers.filter((h) => h.Labels['gameday.target'] === target?.containerId))
    await docker
      .getContainer(h.Id)
      .remove({ force: true })
      .catch(() => undefined);
  await docker
    .getContainer(`${P}-web`)
    .remove({ force: true })
    .catch(() => undefined);
  await docker
    .getNetwork(`${P}-net`)
    .remove()
    .catch(() => undefined);
  await prisma.activeFault.deleteMany({ where: { engine: ENGINE } });
  await prisma.$disconnect();
}, 120_000);

it("Docker's embedded DNS rules are in the target's nat table (what the revert must leave as it was)", () => {
  expect(tables()).toMatch(/127\.0\.0\.11/);
});

it('dry run: the exact rules, nothing applied', async () => {
  const before = tables();
  const plan = await driver.dryRun(spec({ direction: 'ingress', localPorts: [80], action: 'reject', protocol: 'tcp' }));
  const t = plan.targets[0];
  expect(t.apply.at(-1)).toEqual(
    expect.arrayContaining(['iptables-legacy', '-I', 'INPUT', '!', '-i', 'lo', '-j', expect.stringMatching(/-IN$/)]),
  );
  expect(t.apply).toContainEqual(
    expect.arrayContaining(['--dports', '80', '-j', 'REJECT', '--reject-with', 'tcp-reset']),
  );
  expect(tables()).toBe(before);
});

it('reject on ingress to port 80: port 80 is refused from outside while 81 answers; verify; revert restores every table', async () => {
  const before = tables();
  const s = spec({ direction: 'ingress', localPorts: [80], action: 'reject', protocol: 'tcp' });
  const prepared = await driver.prepare(s, target, { expiresAt: new Date(Date.now() + 120_000) });
  // this host's kernel has legacy x_tables: the probe keeps the variant the lab kernel needs too
  expect(blackholeArmed(prepared).tool).toBe('iptables-legacy');
  expect(tables()).toBe(before); // the probe left nothing
  const lease = await ledger.apply(driver, prepared);
  try {
    expect(await get(80)).toBe('refused');
    expect(await get(81)).toBe('ok');
    expect(await driver.verify(lease)).toEqual({ ok: true });
    const row = (await leases.get(lease.id))!;
    expect(row.kind).toBe('blackhole');
    expect(blackholePart(row).blackhole?.tool).toBe('iptables-legacy');
    expect(ourLines()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^-A INPUT ! -i lo -m comment --comment "gameday:[0-9a-f]{8}"/)]),
    );

    // someone removes our jump: verify names it
    const jump = ourLines().find((l) => l.startsWith('-A INPUT'))!;
    inSandbox(['iptables-legacy', '-w', ...jump.replace(/"/g, '').replace(/^-A/, '-D').split(' ')]);
    const tampered = await driver.verify(lease);
    expect(tampered).toMatchObject({ ok: false, reasons: [expect.stringMatching(/^missing: -A INPUT ! -i lo/)] });
    expect(await get(80)).toBe('ok');
    inSandbox(['iptables-legacy', '-w', ...jump.replace(/"/g, '').replace(/^-A/, '-I').split(' ')]);
    expect(await driver.verify(lease)).toEqual({ ok: true });
  } finally {
    const r = await ledger.revert(driver, lease, 'planned_end');
    expect(r.outcome).toBe('reverted');
  }
  expect(await get(80)).toBe('ok');
  expect(await get(81)).toBe('ok');
  expect(tables()).toBe(before);
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
}, 120_000);

/** One probe of port 80 from this host, with when it started and ended. */
interface Probe {
  r: string;
  start: number;
  end: number;
}

/**
 * Probes port 80 every few ms (a 50 ms timeout: the bridge answers in about 1 ms) until it went
 * dark and answered again, or `until`. Returns every probe.
 */
async function watchPort80(until: number, onDark?: () => Promise<void>): Promise<Probe[]> {
  const seen: Probe[] = [];
  let darkSeen = false;
  while (Date.now() < until) {
    const start = Date.now();
    const r = await get(80, 50);
    seen.push({ r, start, end: Date.now() });
    if (r === 'timeout' && !darkSeen) {
      darkSeen = true;
      await onDark?.();
    }
    if (r === 'ok' && darkSeen) break;
    await new Promise((res) => setTimeout(res, 5));
  }
  return seen;
}

/**
 * When the port went dark and came back, as intervals: the fault landed after the last answered
 * probe began and before the first unanswered one ended (a SYN-ACK is dropped once it is in);
 * likewise for its removal.
 */
function transitions(seen: Probe[]): { dark: [number, number]; back: [number, number] } {
  const d = seen.findIndex((p) => p.r === 'timeout');
  const b = seen.findIndex((p, i) => i > d && p.r === 'ok');
  expect(d).toBeGreaterThan(0);
  expect(b).toBeGreaterThan(d);
  expect(seen.slice(d, b).every((p) => p.r === 'timeout')).toBe(true);
  return { dark: [seen[d - 1].start, seen[d].end], back: [seen[b - 1].start, seen[b].end] };
}

it('the helper keeps the clock: drop on egress from port 80 lands at T0 and leaves at T1, no process started on the way', async () => {
  const before = tables();
  const s = spec({ direction: 'egress', localPorts: [80] });
  const prepared = await driver.prepare(s, target, { expiresAt: new Date(Date.now() + 120_000) });
  const t0 = Date.now() + 4_000;
  const t1 = t0 + 2_000;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
  // the plan went to the helper as one iptables-restore block, started ahead of T0
  const staged = await execInContainer(docker, prepared.helperContainerId!, [
    'cat',
    '/var/lib/gameday/steps/apply.batch',
  ]);
  expect(staged.stdout).toMatch(/^\*filter\n-N GAMEDAY-[0-9a-f]{8}-OUT\n(.*\n)*-I OUTPUT 1 ! -o lo .*\nCOMMIT\n$/);
  // from here on nothing of ours acts: only this host, from outside, looks
  expect(await get(80)).toBe('ok');
  let lit81 = '';
  const seen = await watchPort80(t1 + 5_000, async () => {
    lit81 = await get(81);
  });
  expect(lit81).toBe('ok');
  const { dark, back } = transitions(seen);
  const timeline = await ledger.readTimeline(driver, lease);
  console.log(
    `blackhole seen from outside: dark ${dark[0] - t0}..${dark[1] - t0} ms after T0, answering ${back[0] - t1}..${back[1] - t1} ms after T1; ` +
      `helper's record: applied ${timeline.appliedAt!.getTime() - t0} ms after T0, reverted ${timeline.revertedAt!.getTime() - t1} ms after T1`,
  );
  // not before its instants (a probe lasts up to 50 ms), and tens of ms after them at most
  expect(dark[1]).toBeGreaterThanOrEqual(t0);
  expect(back[1]).toBeGreaterThanOrEqual(t1);
  expect(dark[1] - t0).toBeLessThan(250);
  expect(back[1] - t1).toBeLessThan(250);
  expect(timeline).toMatchObject({ state: 'reverted', revertReason: 'scheduled' });
  expect(tables()).toBe(before);
  // what the executor does at T1: confirm, which closes the lease
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
}, 120_000);

it('our jump removed by someone else meanwhile: the block at T1 is refused as a whole, the helper undoes step by step', async () => {
  const before = tables();
  const s = spec({ direction: 'egress', localPorts: [80] });
  const prepared = await driver.prepare(s, target, { expiresAt: new Date(Date.now() + 120_000) });
  const t0 = Date.now() + 4_000;
  const t1 = t0 + 1_500;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
  await waitFor('port 80 to go dark', async () => (await get(80, 50)) === 'timeout', 8_000, 10);
  const jump = ourLines().find((l) => l.startsWith('-A OUTPUT'))!;
  inSandbox(['iptables-legacy', '-w', ...jump.replace(/"/g, '').replace(/^-A/, '-D').split(' ')]);
  expect(await get(80)).toBe('ok');
  await waitFor(
    'the helper to revert',
    async () => (await ledger.readTimeline(driver, lease)).state === 'reverted',
    8_000,
  );
  const status = parseKeyValues(
    (await execInContainer(docker, prepared.helperContainerId!, ['gameday-helper', 'status'])).stdout,
  );
  expect(status).toMatchObject({ state: 'reverted', revert_reason: 'scheduled' });
  // only the jump's own undo failed (it was gone); the chain went step by step
  expect(status.undo_errors).toMatch(/^step \d+: iptables: [^:]*$/);
  expect(tables()).toBe(before);
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
}, 120_000);

it('an abort during the window: the held block is written at once (no process started)', async () => {
  const before = tables();
  const s = spec({ direction: 'egress', localPorts: [80] });
  const prepared = await driver.prepare(s, target, { expiresAt: new Date(Date.now() + 120_000) });
  const t0 = Date.now() + 4_000;
  const lease = await ledger.schedule(driver, prepared, {
    applyAt: new Date(t0),
    revertAt: new Date(t0 + 60_000),
  });
  let asked = 0;
  const seen = await watchPort80(t0 + 10_000, async () => {
    asked = Date.now();
    // by the Docker API alone, as the emergency stop does
    await docker.getContainer(prepared.helperContainerId!).kill({ signal: 'SIGUSR2' });
  });
  const { back } = transitions(seen);
  console.log(`abort signal: answering again ${back[0] - asked}..${back[1] - asked} ms after it was sent`);
  expect(back[1] - asked).toBeLessThan(250);
  const status = parseKeyValues(
    (await execInContainer(docker, prepared.helperContainerId!, ['gameday-helper', 'status'])).stdout,
  );
  expect(status).toMatchObject({ state: 'reverted', revert_reason: 'signal' });
  expect(tables()).toBe(before);
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
}, 120_000);

it('the reaper reverts from the lease alone when the helper is gone (removed without its TERM revert)', async () => {
  const before = tables();
  const s = spec({ direction: 'both', peers: [gateway], action: 'reject' });
  const prepared = await driver.prepare(s, target, { expiresAt: new Date(Date.now() + 120_000) });
  const lease = await ledger.apply(driver, prepared);
  expect(await get(80)).toBe('refused');
  expect(await get(81)).toBe('refused');
  // docker rm -f skips the helper's stop handler: the rules stay, nobody guards them
  await docker.getContainer(prepared.helperContainerId!).remove({ force: true });
  expect(await get(80)).toBe('refused');
  await expireLeases(prisma, [lease.id]);
  expect(await sweepOnce(driver, leases, prisma)).toBe(1);
  const row = (await leases.get(lease.id))!;
  expect(row.revertReason).toBe('reaper');
  expect(await get(80)).toBe('ok');
  expect(await get(81)).toBe('ok');
  expect(tables()).toBe(before);
}, 120_000);

it('the helper removes an applied blackhole by itself at its expiry', async () => {
  const before = tables();
  const s = spec({ direction: 'ingress', localPorts: [80], action: 'reject' });
  const prepared = await driver.prepare(s, target, { expiresAt: new Date(Date.now() + 2_500), graceMs: 500 });
  const lease = await ledger.apply(driver, prepared);
  expect(await get(80)).toBe('refused');
  await waitFor('port 80 to answer again', async () => (await get(80, 300)) === 'ok', 10_000, 50);
  const status = parseKeyValues(
    (await execInContainer(docker, prepared.helperContainerId!, ['gameday-helper', 'status'])).stdout,
  );
  expect(status).toMatchObject({ state: 'reverted', revert_reason: 'expired' });
  expect(tables()).toBe(before);
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
}, 60_000);

// last: it restarts the target (a new netns, perhaps a new address), which the cases above share
it('the target restarted during the fault: the re-check says the fault left with the old netns, the revert closes the lease as gone, nothing of ours in the new one', async () => {
  const s = spec({ direction: 'ingress', localPorts: [80], action: 'reject' });
  const prepared = await driver.prepare(s, target, { expiresAt: new Date(Date.now() + 120_000) });
  try {
    const lease = await ledger.apply(driver, prepared);
    expect(await get(80)).toBe('refused');
    const web = docker.getContainer(`${P}-web`);
    await web.restart({ t: 0 });
    const info = await web.inspect();
    expect(info.NetworkSettings.SandboxKey).not.toBe(sandbox);
    sandbox = info.NetworkSettings.SandboxKey;
    ip = info.NetworkSettings.Networks[`${P}-net`].IPAddress;
    await waitFor('port 80 to answer in the restarted target', async () => (await get(80)) === 'ok');
    // the sidecar still reads the old netns, where our rules are all in place
    const check = await driver.verify(lease).catch((e: Error) => ({ ok: false as const, reasons: [e.message] }));
    expect(check.ok ? [] : check.reasons).toEqual([expect.stringMatching(/restarted since arming/)]);
    const r = await ledger.revert(driver, lease, 'planned_end');
    expect(r.outcome).toBe('already_gone');
    expect(r.details?.join('; ')).toMatch(/^target_gone: the target restarted since arming/);
    // the fault left when the target stopped: no later than its new start
    expect(r.at.getTime()).toBeLessThanOrEqual(Date.parse(info.State.StartedAt) + 1);
    expect(ourLines()).toEqual([]);
    expect(await get(80)).toBe('ok');
  } finally {
    await driver.release(prepared);
  }
}, 120_000);

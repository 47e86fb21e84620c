import { randomBytes } from 'node:crypto';
import net from 'node:net';
import Docker from 'dockerode';
import { faultSchema, type BlackholeFaultSpec, type ResolvedTarget } from '@gameday/core';
import { PrismaLeaseRepository, PrismaService } from '@gameday/db';
import { DockerFaultDriver, ensureHelperImage, execInContainer, parseKeyValues } from '@gameday/faults';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { waitFor } from '../../support/harness';
import { netnsTables } from '../../support/netns-tables';
import { sweepOnce, expireLeases } from '../../support/lease-reaper';

/**
 * A blackhole's resetEstablished on the host's real Docker Engine (its kernel has
 * CONFIG_INET_DIAG_DESTROY). Pooled connections are plain TCP connections held open and idle:
 * without the reset a drop leaves them silently open (the client learns at its next request, after
 * TCP's retransmissions); with it they fail right after T0. Judged from outside the target: this
 * host holds a pooled connection to the target's port 80 (ingress), or a client in the target
 * holding one to this host reports its end over a second connection the fault does not match.
 */
const P = `gdrs-${randomBytes(3).toString('hex')}`;
const ENGINE = `blackhole-reset-test-${P}`;
const docker = new Docker();
const prisma = new PrismaService(process.env.DATABASE_URL!);
const leases = new PrismaLeaseRepository(prisma);
const ledger = new LeaseLedger(leases);
let driver: DockerFaultDriver;
let gateway: string;
const containers: Record<string, { ip: string; sandbox: string; target: ResolvedTarget }> = {};
const servers: net.Server[] = [];

function spec(container: string, input: Record<string, unknown>): BlackholeFaultSpec {
  return faultSchema.parse({
    kind: 'blackhole',
    target: { container: `${P}-${container}` },
    ...input,
  }) as BlackholeFaultSpec;
}

async function startContainer(name: string, cmd: string): Promise<void> {
  const c = await docker.createContainer({
    name: `${P}-${name}`,
    Image: await ensureLabTargetImage(docker),
    Cmd: ['sh', '-c', cmd],
    Labels: { 'gameday.enabled': 'true' },
    HostConfig: { NetworkMode: `${P}-net` },
  });
  await c.start();
  const info = await c.inspect();
  const n = info.NetworkSettings.Networks[`${P}-net`];
  gateway = n.Gateway;
  const target = (await driver.resolveTargets(spec(name, { peers: ['10.0.0.1'] }))).targets[0];
  containers[name] = { ip: n.IPAddress, sandbox: info.NetworkSettings.SandboxKey, target };
}

/** An idle pooled connection from this host, and when (if ever) it ended and how. */
async function pooled(host: string, port: number) {
  const sock = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const end: { at?: number; how?: string } = {};
  sock.on('error', (err: NodeJS.ErrnoException) => {
    end.at ??= Date.now();
    end.how ??= err.code ?? err.message;
  });
  sock.on('close', () => {
    end.at ??= Date.now();
    end.how ??= 'closed';
  });
  return { sock, end };
}

/** The pooled connection still works: what is written comes back (the target echoes). */
async function echoes(sock: net.Socket): Promise<boolean> {
  const word = randomBytes(4).toString('hex');
  const back = new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 2_000);
    sock.once('data', (d) => {
      clearTimeout(t);
      resolve(d.toString().includes(word));
    });
  });
  sock.write(`${word}\n`);
  return back;
}

const status = async (helperId: string) =>
  parseKeyValues((await execInContainer(docker, helperId, ['gameday-helper', 'status'])).stdout);

beforeAll(async () => {
  await docker.ping();
  driver = new DockerFaultDriver(docker, { helperImage: await ensureHelperImage(docker), engine: ENGINE });
  await docker.createNetwork({ Name: `${P}-net` });
  // an echo server on port 80 that keeps every connection (nc -ll: one cat per connection)
  await startContainer('srv', 'exec nc -ll -p 80 -e /bin/busybox cat');
  await waitFor('the server to accept', async () => {
    const c = await pooled(containers.srv.ip, 80).catch(() => undefined);
    const ok = c ? await echoes(c.sock) : false;
    c?.sock.destroy();
    return ok;
  });
}, 600_000);

afterAll(async () => {
  for (const s of servers) s.close();
  const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
  const ids = Object.values(containers).map((c) => c.target.containerId);
  for (const h of helpers.filter((h) => ids.includes(h.Labels['gameday.target'])))
    await docker
      .getContainer(h.Id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const name of Object.keys(containers))
    await docker
      .getContainer(`${P}-${name}`)
      .remove({ force: true })
      .catch(() => undefined);
  await docker
    .getNetwork(`${P}-net`)
    .remove()
    .catch(() => undefined);
  await prisma.activeFault.deleteMany({ where: { engine: ENGINE } });
  await prisma.$disconnect();
}, 120_000);

const INGRESS = { direction: 'ingress', localPorts: [80], protocol: 'tcp' };

it('dry run: the ss -K argv after the jumps, nothing applied', async () => {
  const before = netnsTables(containers.srv.sandbox);
  const plan = await driver.dryRun(spec('srv', { ...INGRESS, resetEstablished: true }));
  const t = plan.targets[0];
  expect(t.apply.at(-1)).toEqual([
    ...['ss', '-K', '-H', '-t', '-n', 'state', 'established'],
    ...['not', 'dst', '127.0.0.0/8', 'and', '(', 'sport', '=', ':80', ')'],
  ]);
  expect(t.apply.at(-2)).toEqual(expect.arrayContaining(['-I', 'INPUT', '1']));
  expect(t.revert.flat()).not.toContain('ss');
  expect(netnsTables(containers.srv.sandbox)).toBe(before);
});

it('without the reset a drop leaves a pooled connection open: it works again after the revert', async () => {
  const conn = await pooled(containers.srv.ip, 80);
  const prepared = await driver.prepare(spec('srv', INGRESS), containers.srv.target, {
    expiresAt: new Date(Date.now() + 120_000),
  });
  const lease = await ledger.apply(driver, prepared);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(conn.end).toEqual({});
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('reverted');
  expect(await echoes(conn.sock)).toBe(true);
  conn.sock.destroy();
  await driver.release(prepared);
}, 120_000);

it('at T0 by the helper clock: the pooled connection from outside is reset right after the rules are in; verify; nothing left at T1', async () => {
  const before = netnsTables(containers.srv.sandbox);
  const conn = await pooled(containers.srv.ip, 80);
  const prepared = await driver.prepare(spec('srv', { ...INGRESS, resetEstablished: true }), containers.srv.target, {
    expiresAt: new Date(Date.now() + 120_000),
  });
  const t0 = Date.now() + 4_000;
  const t1 = t0 + 2_000;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
  // the reset is staged beside the iptables-restore block, not inside it
  const staged = await execInContainer(docker, prepared.helperContainerId!, [
    'cat',
    '/var/lib/gameday/steps/apply.post',
  ]);
  expect(staged.stdout.split('\n').slice(0, 2)).toEqual(['ss', '-K']);
  await waitFor('the pooled connection to end', async () => conn.end.at !== undefined, 10_000, 2);
  const timeline = await ledger.readTimeline(driver, lease);
  console.log(
    `reset seen from outside: the pooled connection ended (${conn.end.how}) ${conn.end.at! - t0} ms after T0; ` +
      `helper's record: rules in ${timeline.appliedAt!.getTime() - t0} ms, reset done ${timeline.reset!.at!.getTime() - t0} ms after T0`,
  );
  expect(conn.end.how).toBe('ECONNRESET');
  expect(conn.end.at!).toBeGreaterThanOrEqual(t0);
  expect(conn.end.at! - t0).toBeLessThan(60);
  expect(timeline.reset).toMatchObject({ status: 0, count: 1 });
  // re-checked during the window: the rules read back and the helper's record of the reset
  expect(await driver.verify(lease)).toEqual({ ok: true });
  await waitFor(
    'the helper to revert at T1',
    async () => (await ledger.readTimeline(driver, lease)).state === 'reverted',
    8_000,
  );
  expect(netnsTables(containers.srv.sandbox)).toBe(before);
  const again = await pooled(containers.srv.ip, 80);
  expect(await echoes(again.sock)).toBe(true);
  again.sock.destroy();
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
}, 120_000);

it('an abort before T0 cancels the reset with the rules: the pooled connection is never touched', async () => {
  const before = netnsTables(containers.srv.sandbox);
  const conn = await pooled(containers.srv.ip, 80);
  const prepared = await driver.prepare(spec('srv', { ...INGRESS, resetEstablished: true }), containers.srv.target, {
    expiresAt: new Date(Date.now() + 120_000),
  });
  const t0 = Date.now() + 4_000;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t0 + 2_000) });
  expect(['reverted', 'already_gone']).toContain((await ledger.revert(driver, lease, 'abort')).outcome);
  await new Promise((r) => setTimeout(r, t0 + 500 - Date.now()));
  expect(conn.end).toEqual({});
  expect(await echoes(conn.sock)).toBe(true);
  const record = await status(prepared.helperContainerId!);
  expect(record.state).toBe('cancelled');
  expect(record.reset_count).toBe('');
  expect(netnsTables(containers.srv.sandbox)).toBe(before);
  conn.sock.destroy();
  await driver.release(prepared);
}, 120_000);

it('egress, the pool in the target (service2 -> db): its client fails at T0, told over a connection the fault does not match', async () => {
  const reports: { line: string; at: number }[] = [];
  const held: net.Socket[] = [];
  const db = net.createServer((s) => held.push(s));
  const control = net.createServer((s) =>
    s.on('data', (d) =>
      d
        .toString()
        .split('\n')
        .filter(Boolean)
        .forEach((line) => reports.push({ line, at: Date.now() })),
    ),
  );
  servers.push(db, control);
  await new Promise<void>((r) => db.listen(0, gateway, r));
  await new Promise<void>((r) => control.listen(0, gateway, r));
  const dbPort = (db.address() as net.AddressInfo).port;
  const ctlPort = (control.address() as net.AddressInfo).port;
  await startContainer(
    'client',
    `exec nc ${gateway} ${ctlPort} -e /bin/busybox sh -c 'echo up; /bin/busybox nc ${gateway} ${dbPort} -e /bin/busybox cat; echo reset'`,
  );
  await waitFor(
    'the client to hold its pooled connection',
    async () => held.length === 1 && reports.some((r) => r.line === 'up'),
  );
  const s = spec('client', {
    direction: 'egress',
    peers: [gateway],
    ports: [dbPort],
    protocol: 'tcp',
    resetEstablished: true,
  });
  const prepared = await driver.prepare(s, containers.client.target, { expiresAt: new Date(Date.now() + 120_000) });
  const t0 = Date.now() + 4_000;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t0 + 2_000) });
  await waitFor('the client to report its end', async () => reports.some((r) => r.line === 'reset'), 10_000, 2);
  const at = reports.find((r) => r.line === 'reset')!.at;
  console.log(`egress reset: the client in the target reported its pooled connection gone ${at - t0} ms after T0`);
  expect(at).toBeGreaterThanOrEqual(t0);
  expect(at - t0).toBeLessThan(60);
  expect((await ledger.readTimeline(driver, lease)).reset).toMatchObject({ status: 0, count: 1 });
  await waitFor(
    'the helper to revert at T1',
    async () => (await ledger.readTimeline(driver, lease)).state === 'reverted',
    8_000,
  );
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
  held.forEach((h) => h.destroy());
}, 120_000);

it('apply now (one process per step) resets too and records the count; the reaper reverts from the lease alone', async () => {
  const before = netnsTables(containers.srv.sandbox);
  const conns = [await pooled(containers.srv.ip, 80), await pooled(containers.srv.ip, 80)];
  const prepared = await driver.prepare(spec('srv', { ...INGRESS, resetEstablished: true }), containers.srv.target, {
    expiresAt: new Date(Date.now() + 120_000),
  });
  const lease = await ledger.apply(driver, prepared);
  await waitFor('both pooled connections to end', async () => conns.every((c) => c.end.at !== undefined), 5_000, 5);
  expect(conns.map((c) => c.end.how)).toEqual(['ECONNRESET', 'ECONNRESET']);
  expect(await status(prepared.helperContainerId!)).toMatchObject({ reset_status: '0', reset_count: '2' });
  expect(await driver.verify(lease)).toEqual({ ok: true });
  // docker rm -f skips the helper's stop handler: only the lease is left to undo the rules
  await docker.getContainer(prepared.helperContainerId!).remove({ force: true });
  await expireLeases(prisma, [lease.id]);
  expect(await sweepOnce(driver, leases, prisma)).toBe(1);
  expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
  expect(netnsTables(containers.srv.sandbox)).toBe(before);
}, 120_000);

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { faultSchema, parseKillRecord, type ProcessKillFaultSpec, type ResolvedTarget } from '@gameday/core';
import { PrismaLeaseRepository, PrismaService } from '@gameday/db';
import {
  DockerFaultDriver,
  ensureHelperImage,
  processKillDryRun,
  execInContainer,
  parseKeyValues,
  ProcessKillRefusedError,
} from '@gameday/faults';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { waitFor } from '../../support/harness';
import { sweepOnce, expireLeases } from '../../support/lease-reaper';

/**
 * The process-kill kind on the host's real Docker Engine. The target's PID 1 is `sleep`; beside
 * it run two `victim`s and a loop that starts a `respawn` again whenever it dies (copies of sleep
 * under other names: /proc/PID/comm is the file's name). Another container runs a `victim` of its
 * own. Everything is judged from OUTSIDE: this host reads /proc/<host PID> of the target's
 * processes (it shares the engine's PID namespace), and the helper's own record is read after.
 */
const P = `gdpk-${randomBytes(3).toString('hex')}`;
const ENGINE = `process-kill-test-${P}`;
const docker = new Docker();
const prisma = new PrismaService(process.env.DATABASE_URL!);
const leases = new PrismaLeaseRepository(prisma);
const ledger = new LeaseLedger(leases);
let driver: DockerFaultDriver;
let target: ResolvedTarget;

const SCRIPT =
  // `;`, not `&&`: an and-list before `&` would run in the background as a whole
  'cp /bin/sleep /tmp/victim; cp /bin/sleep /tmp/respawn; ' +
  '/tmp/victim 600 & /tmp/victim 600 & (while :; do /tmp/respawn 600; done) & exec sleep 600';

function spec(input: Record<string, unknown>): ProcessKillFaultSpec {
  return faultSchema.parse({
    kind: 'process-kill',
    target: { container: `${P}-t` },
    ...input,
  }) as ProcessKillFaultSpec;
}

/** Host PIDs of a container's processes of one name (the engine's `docker top`). */
async function hostPids(container: string, comm: string): Promise<number[]> {
  const top = (await docker.getContainer(container).top({ ps_args: '-o pid,comm' })) as { Processes: string[][] };
  return top.Processes.filter((p) => p[1] === comm).map((p) => Number(p[0]));
}

/** Alive from this host's view: /proc/PID exists and is not a zombie (PID 1 `sleep` reaps none). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** Polls /proc every ms until none of `pids` is alive; the instant it saw that, or undefined at `until`. */
async function goneAt(pids: number[], until: number): Promise<number | undefined> {
  while (Date.now() < until) {
    if (pids.every((p) => !alive(p))) return Date.now();
    await new Promise((r) => setTimeout(r, 1));
  }
  return undefined;
}

const status = async (helperId: string) =>
  parseKeyValues((await execInContainer(docker, helperId, ['gameday-helper', 'status'])).stdout);
const record = async (helperId: string) =>
  parseKillRecord((await execInContainer(docker, helperId, ['gameday-helper', 'kills'])).stdout);
const exists = (id: string) =>
  docker
    .getContainer(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );

async function startContainer(name: string, cmd: string, extra: Docker.ContainerCreateOptions = {}): Promise<void> {
  const c = await docker.createContainer({ name, Image: 'debian:bookworm-slim', Cmd: ['sh', '-c', cmd], ...extra });
  await c.start();
}

beforeAll(async () => {
  await docker.ping();
  driver = new DockerFaultDriver(docker, { helperImage: await ensureHelperImage(docker), engine: ENGINE });
  await startContainer(`${P}-t`, SCRIPT, { Labels: { 'gameday.enabled': 'true' } });
  await startContainer(`${P}-other`, 'cp /bin/sleep /tmp/victim && exec /tmp/victim 600');
  // a sidecar in the target's PID namespace (as a log shipper or an earlier helper would be): its
  // processes are visible from the helper but are not the target's
  await startContainer(`${P}-side`, 'cp /bin/sleep /tmp/victim && exec /tmp/victim 600', {
    HostConfig: { PidMode: `container:${P}-t` },
  });
  target = (await driver.resolveTargets(spec({ process: 'victim' }))).targets[0];
  await waitFor('the processes to start', async () => (await hostPids(`${P}-t`, 'victim')).length === 2);
}, 600_000);

afterAll(async () => {
  const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
  for (const h of helpers.filter((h) => h.Labels['gameday.target'] === target?.containerId))
    await docker
      .getContainer(h.Id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const c of [`${P}-side`, `${P}-t`, `${P}-other`, `${P}-hostpid`])
    await docker
      .getContainer(c)
      .remove({ force: true })
      .catch(() => undefined);
  await prisma.activeFault.deleteMany({ where: { engine: ENGINE } });
  await prisma.$disconnect();
}, 120_000);

it('dry run: the processes of the name now, PID 1 marked as never signalled; nothing is signalled', async () => {
  const victims = await hostPids(`${P}-t`, 'victim');
  const plan = await driver.dryRun(spec({ process: 'victim', signal: 'TERM', every: '5s' }));
  const t = plan.targets[0];
  expect(
    processKillDryRun(t)
      .processes?.map((p) => p.pid)
      .sort(),
  ).toEqual(victims.sort());
  expect(t.apply[0]).toEqual([
    'gameday-kill',
    'run',
    '<T0 ms>',
    '<T1 ms>',
    '5000',
    'TERM',
    'victim',
    '/var/lib/gameday',
  ]);
  const init = await driver.dryRun(spec({ process: 'sleep' }));
  expect(processKillDryRun(init.targets[0]).processes).toEqual([
    { pid: expect.any(Number), comm: 'sleep', note: expect.stringMatching(/^PID 1 of the target: never signalled/) },
  ]);
  expect(init.targets[0].warnings[0]).toMatch(/^no process named "sleep" would be signalled now/);
  expect(victims.every(alive)).toBe(true);
});

it('a kill at T0: the victims die on time, PID 1 and the other container untouched; revert and release leave nothing', async () => {
  const victims = await hostPids(`${P}-t`, 'victim');
  const theirs = [...(await hostPids(`${P}-other`, 'victim')), ...(await hostPids(`${P}-side`, 'victim'))];
  expect(theirs).toHaveLength(2);
  const prepared = await driver.prepare(spec({ process: 'victim' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const helper = (await docker.getContainer(prepared.helperContainerId!).inspect()).HostConfig;
  // the PID namespace only, signals only: no network, no NET_ADMIN
  expect(helper).toMatchObject({ PidMode: `container:${target.containerId}`, NetworkMode: 'none', CapAdd: ['KILL'] });
  const t0 = Date.now() + 1_500;
  const t1 = t0 + 1_500;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
  expect(victims.every(alive)).toBe(true);
  const seen = await goneAt(victims, t0 + 5_000);
  expect(seen).toBeDefined();
  const timeline = await waitFor('the first round', async () => {
    const tl = await ledger.readTimeline(driver, lease);
    return tl.state === 'applied' ? tl : undefined;
  });
  const kills = (await record(prepared.helperContainerId!)).filter((e) => e.type === 'kill');
  console.log(
    `process kill at T0: helper's record applied ${timeline.appliedAt!.getTime() - t0} ms after T0 ` +
      `(signals at ${kills.map((k) => k.at - t0).join(', ')} ms); seen gone from outside ${seen! - t0} ms after T0`,
  );
  expect(seen!).toBeGreaterThanOrEqual(t0);
  expect(seen! - t0).toBeLessThan(250);
  expect(kills).toHaveLength(2);
  expect(kills.every((k) => k.signal === 'KILL' && k.result === 'ok' && k.comm === 'victim')).toBe(true);
  expect(await driver.verify(lease)).toEqual({ ok: true });
  // PID 1 (a `sleep`) is running; the other container's victim and the sidecar's (same PID namespace) too
  expect((await docker.getContainer(`${P}-t`).inspect()).State.Running).toBe(true);
  expect(theirs.every(alive)).toBe(true);
  // the helper ends the window at T1 by its own clock
  await waitFor('T1', async () => (await status(prepared.helperContainerId!)).state === 'reverted', 5_000);
  expect(await status(prepared.helperContainerId!)).toMatchObject({
    revert_reason: 'scheduled',
    kill_end_reason: 'window_end',
  });
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
  expect(await exists(prepared.helperContainerId!)).toBe(false);
}, 60_000);

it('every 1 s: the respawned process is killed again each round until T1; with no worker the helper ends by itself and the reaper closes the lease', async () => {
  const prepared = await driver.prepare(spec({ process: 'respawn', every: '1s' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const t0 = Date.now() + 1_500;
  const t1 = t0 + 3_500;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
  // nobody calls the helper from here on: it keeps the clock
  await new Promise((r) => setTimeout(r, t1 - Date.now() + 500));
  const log = await record(prepared.helperContainerId!);
  const kills = log.filter((e) => e.type === 'kill');
  const rounds = log.filter((e) => e.type === 'tick');
  console.log(`every 1 s: rounds at ${rounds.map((r) => (r.type === 'tick' ? r.at - t0 : 0)).join(', ')} ms after T0`);
  expect(rounds).toHaveLength(4);
  expect(kills).toHaveLength(4);
  expect(new Set(kills.map((k) => (k.type === 'kill' ? k.pid : 0))).size).toBe(4); // a new process each time
  expect(log.at(-1)).toMatchObject({ type: 'end', reason: 'window_end' });
  expect(await status(prepared.helperContainerId!)).toMatchObject({ state: 'reverted', revert_reason: 'scheduled' });
  // after T1 the loop's process lives
  await waitFor('the respawned process', async () => (await hostPids(`${P}-t`, 'respawn')).length === 1);
  await new Promise((r) => setTimeout(r, 1_200));
  expect((await hostPids(`${P}-t`, 'respawn')).every(alive)).toBe(true);
  // the worker never came back: the reaper closes the lease from the ledger and removes the helper
  await expireLeases(prisma, [lease.id]);
  expect(await sweepOnce(driver, leases, prisma)).toBe(1);
  expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
  expect(await exists(prepared.helperContainerId!)).toBe(false);
}, 60_000);

it('an abort by signal (USR2 through the Docker API) stops the repetition at once', async () => {
  const prepared = await driver.prepare(spec({ process: 'respawn', every: '1s', signal: 'TERM' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const t0 = Date.now() + 1_500;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t0 + 30_000) });
  await waitFor('two rounds', async () => (await status(prepared.helperContainerId!)).kill_ticks === '2', 6_000, 20);
  await docker.getContainer(prepared.helperContainerId!).kill({ signal: 'SIGUSR2' });
  await waitFor(
    'the helper to stop',
    async () => (await status(prepared.helperContainerId!)).state === 'reverted',
    2_000,
    20,
  );
  const after = await hostPids(`${P}-t`, 'respawn');
  await new Promise((r) => setTimeout(r, 2_500)); // two more rounds would have come
  expect(after.every(alive)).toBe(true);
  expect(await status(prepared.helperContainerId!)).toMatchObject({
    revert_reason: 'signal',
    kill_ticks: '2',
    kill_end_reason: 'stopped',
  });
  // the worker's abort (its stdin line, as this process armed the helper) finds it stopped by the
  // signal above: already gone, at the instant that signal stopped it
  const r = await ledger.revert(driver, lease, 'abort');
  expect(r.outcome).toBe('already_gone');
  expect(r.at.getTime()).toBeLessThan(Date.now() - 2_000); // the instant the signal stopped it
  await driver.release(prepared);
  expect(await exists(prepared.helperContainerId!)).toBe(false);
}, 60_000);

it("the worker's abort goes through the stdin it holds (the arming's nonce): the repetition stops", async () => {
  const prepared = await driver.prepare(spec({ process: 'respawn', every: '1s', signal: 'TERM' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const t0 = Date.now() + 1_500;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t0 + 30_000) });
  await waitFor('a round', async () => (await status(prepared.helperContainerId!)).kill_ticks === '1', 5_000, 20);
  const requested = Date.now();
  const r = await ledger.revert(driver, lease, 'abort');
  expect({ outcome: r.outcome, abortPath: r.abortPath }).toEqual({ outcome: 'reverted', abortPath: 'stdin' });
  // the helper acted on the line (a plan without the nonce would have ignored it and been
  // reverted by the confirming exec instead, as `abort`)
  expect(await status(prepared.helperContainerId!)).toMatchObject({
    revert_reason: 'stdin',
    kill_end_reason: 'stopped',
  });
  console.log(`process-kill abort through stdin: stopped ${r.at.getTime() - requested} ms after the request`);
  const after = await hostPids(`${P}-t`, 'respawn');
  await new Promise((res) => setTimeout(res, 1_500)); // a round would have come
  expect(after.every(alive)).toBe(true);
  await driver.release(prepared);
}, 60_000);

it('the helper killed from outside (kill -9, as the OOM killer does): its repetition dies with it; restarted, it records the end', async () => {
  const prepared = await driver.prepare(spec({ process: 'respawn', every: '1s' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const t0 = Date.now() + 1_500;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t0 + 30_000) });
  await waitFor('a round', async () => (await status(prepared.helperContainerId!)).kill_ticks === '1', 5_000, 20);
  const before = await docker.getContainer(prepared.helperContainerId!).inspect();
  process.kill(before.State.Pid, 'SIGKILL'); // not through Docker: its restart policy brings it back
  await waitFor(
    'the helper to come back',
    async () => {
      const info = await docker.getContainer(prepared.helperContainerId!).inspect();
      // Docker reports Running while it is still Restarting (an exec then gets a 409)
      return info.RestartCount > before.RestartCount && info.State.Running && !info.State.Restarting;
    },
    10_000,
  );
  await waitFor(
    'its record',
    async () => (await status(prepared.helperContainerId!).catch(() => undefined))?.state === 'reverted',
    5_000,
  );
  expect(await status(prepared.helperContainerId!)).toMatchObject({ revert_reason: 'restarted' });
  // gameday-kill did not outlive its helper: nothing signals the respawned process any more
  const pids = await waitFor('the respawned process', async () => {
    const p = await hostPids(`${P}-t`, 'respawn');
    return p.length === 1 ? p : undefined;
  });
  await new Promise((r) => setTimeout(r, 2_500));
  expect(pids.every(alive)).toBe(true);
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
}, 60_000);

it('no process matched: a clear outcome, not a crash; PID 1 of the name is never signalled', async () => {
  for (const [process, reason] of [
    ['nosuchproc', /^no process named "nosuchproc" in the target at T0: nothing was signalled$/],
    ['sleep', /PID 1 has that name, and PID 1 is never signalled/],
  ] as const) {
    const prepared = await driver.prepare(spec({ process }), target, { expiresAt: new Date(Date.now() + 60_000) });
    const t0 = Date.now() + 1_000;
    const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t0 + 20_000) });
    await waitFor('the first round', async () => (await ledger.readTimeline(driver, lease)).state === 'applied', 5_000);
    expect(await driver.verify(lease)).toEqual({ ok: false, reasons: [expect.stringMatching(reason)] });
    expect((await docker.getContainer(`${P}-t`).inspect()).State.Running).toBe(true);
    // a revert during the window stops it (the worker's rollback)
    expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('reverted');
    expect(await status(prepared.helperContainerId!)).toMatchObject({ state: 'reverted', kill_end_reason: 'stopped' });
    await driver.release(prepared);
  }
}, 60_000);

it("refuses a target in the host's PID namespace before any helper starts", async () => {
  await startContainer(`${P}-hostpid`, 'exec sleep 600', {
    Labels: { 'gameday.enabled': 'true' },
    HostConfig: { PidMode: 'host' },
  });
  const s = faultSchema.parse({
    kind: 'process-kill',
    target: { container: `${P}-hostpid` },
    process: 'sleep',
  }) as ProcessKillFaultSpec;
  const t = (await driver.resolveTargets(s)).targets[0];
  await expect(driver.prepare(s, t, { expiresAt: new Date(Date.now() + 60_000) })).rejects.toThrow(
    ProcessKillRefusedError,
  );
  const helpers = await docker.listContainers({ all: true, filters: { label: [`gameday.target=${t.containerId}`] } });
  expect(helpers).toEqual([]);
  expect((await driver.dryRun(s)).targets[0].warnings[0]).toMatch(/shares the host's PID namespace/);
}, 30_000);

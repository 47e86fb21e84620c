import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Docker from 'dockerode';
import { faultSchema, type DnsFaultSpec, type ResolvedTarget } from '@gameday/core';
import { PrismaLeaseRepository, PrismaService } from '@gameday/db';
import {
  DNS_CONFIG_PATH,
  DockerFaultDriver,
  ensureDnsImage,
  ensureHelperImage,
  execInContainer,
} from '@gameday/faults';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { waitFor } from '../../support/harness';
import { sweepOnce, expireLeases } from '../../support/lease-reaper';

/**
 * The dns kind on the host's real Docker Engine. A target and two peers (svc-a, svc-b) on a
 * user-defined network: the target resolves both through Docker's embedded DNS (127.0.0.11, whose
 * DNAT rules sit in the target's nat table). A fault on svc-a's name must make only svc-a's
 * queries fail as asked between T0 and T1, by the helper's clock, and leave the nat table exactly
 * as it was, and no resolver, after T1, an abort, or the reaper. Lookups run in the target
 * (busybox nslookup prints the answer code) and, for timings, from this host in its netns.
 */
const P = `gddns-${randomBytes(3).toString('hex')}`;
const ENGINE = `dns-test-${P}`;
const A = `${P}-svc-a`;
const B = `${P}-svc-b`;
const docker = new Docker();
const prisma = new PrismaService(process.env.DATABASE_URL!);
const leases = new PrismaLeaseRepository(prisma);
const ledger = new LeaseLedger(leases);
let driver: DockerFaultDriver;
let target: ResolvedTarget;
let sandbox: string;
const ips: Record<string, string> = {};

/** Runs a host program; resolves with its output and whether it ended by itself within timeoutMs. */
function run(argv: string[], timeoutMs: number): Promise<{ out: string; code: number | null; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ out: `${stdout}${stderr}`, code, ms: performance.now() - start });
    });
  });
}

type Answer = 'nxdomain' | 'servfail' | 'none' | string;

/** What the answer was: NXDOMAIN, SERVFAIL, none within the client's timeout, or the A address. */
function answerOf(out: string, code: number | null, name: string): Answer {
  if (code === null) return 'none';
  if (/NXDOMAIN/.test(out)) return 'nxdomain';
  if (/SERVFAIL/.test(out)) return 'servfail';
  if (/timed out|no servers could be reached/.test(out)) return 'none';
  const m = new RegExp(`Name:\\s+${name}[.\\w-]*\\s+Address: (\\d+\\.\\d+\\.\\d+\\.\\d+)`).exec(out);
  return m ? m[1] : `unparsed: ${out.replace(/\s+/g, ' ').slice(0, 200)}`;
}

/** An A query from inside the target, as its applications make them (resolv.conf: 127.0.0.11). */
async function lookupInTarget(name: string): Promise<Answer> {
  const r = await run(
    ['docker', 'exec', `${P}-t`, 'busybox', 'timeout', '2', 'busybox', 'nslookup', '-type=a', name],
    4_000,
  );
  return answerOf(r.out, r.code === 143 ? null : r.code, name);
}

/** The same query from this host in the target's netns (no docker exec on the way): for timings. */
async function lookupTimed(name: string, timeoutMs = 1_500): Promise<{ answer: Answer; ms: number }> {
  const r = await run(
    ['nsenter', `--net=${sandbox}`, '--', 'busybox', 'nslookup', '-type=a', name, '127.0.0.11'],
    timeoutMs,
  );
  return { answer: answerOf(r.out, r.code, name), ms: r.ms };
}

/** The netns' nat table as iptables-nft-save prints it, counters removed (Docker's rules live there). */
async function natTable(): Promise<string> {
  const r = await run(['nsenter', `--net=${sandbox}`, '--', 'iptables-nft-save', '-t', 'nat'], 5_000);
  return r.out
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[]'))
    .join('\n');
}

async function legacyTables(): Promise<string> {
  return (await run(['nsenter', `--net=${sandbox}`, '--', 'iptables-legacy-save'], 5_000)).out;
}

interface UdpAnswer {
  at: number;
  answer: string;
  ms: number;
}

/** test/support/dns-udp-client.py in the target's netns: one socket, a query every intervalMs. */
async function udpClient(name: string, intervalMs: number, durationMs: number): Promise<UdpAnswer[]> {
  const client = join(__dirname, '..', '..', 'support', 'dns-udp-client.py');
  const r = await run(
    [
      'nsenter',
      `--net=${sandbox}`,
      '--',
      'python3',
      client,
      name,
      '127.0.0.11',
      String(intervalMs),
      String(durationMs),
    ],
    durationMs + 5_000,
  );
  return r.out
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([at, rcode, count, ms]) => ({ at: Number(at), answer: `${rcode} ${count}`, ms: Number(ms) }));
}

function spec(input: Record<string, unknown>): DnsFaultSpec {
  return faultSchema.parse({ kind: 'dns', target: { container: `${P}-t` }, names: [A], ...input }) as DnsFaultSpec;
}

/** dnsdist processes in a helper container (docker top: the engine's view, whatever the helper says). */
async function resolversIn(helperId: string): Promise<number> {
  const top: { Processes?: string[][] } = await docker
    .getContainer(helperId)
    .top({ ps_args: '-o pid,comm' })
    .catch(() => ({ Processes: [] }));
  return (top.Processes ?? []).filter((p: string[]) => p.some((w) => /dnsdist/.test(w))).length;
}

beforeAll(async () => {
  await docker.ping();
  const helperImage = await ensureHelperImage(docker);
  await ensureDnsImage(docker, helperImage);
  driver = new DockerFaultDriver(docker, { helperImage, engine: ENGINE });
  await docker.createNetwork({ Name: `${P}-net` });
  const image = await ensureLabTargetImage(docker);
  for (const name of [`${P}-t`, A, B]) {
    const c = await docker.createContainer({
      name,
      Image: image,
      Cmd: ['sleep', '3600'],
      Labels: { 'gameday.enabled': 'true' },
      HostConfig: { NetworkMode: `${P}-net` },
    });
    await c.start();
    const info = await c.inspect();
    ips[name] = info.NetworkSettings.Networks[`${P}-net`].IPAddress;
    if (name === `${P}-t`) sandbox = info.NetworkSettings.SandboxKey;
  }
  target = (await driver.resolveTargets(spec({ action: 'nxdomain' }))).targets[0];
  await waitFor(
    'both peers to resolve',
    async () => (await lookupInTarget(A)) === ips[A] && (await lookupInTarget(B)) === ips[B],
  );
}, 600_000);

// a failed case must not leave its fault for the next ones: its open leases are reverted (and its
// helpers removed in afterAll)
afterEach(async () => {
  for (const lease of (await leases.listActive()).filter((l) => l.engine === ENGINE))
    await ledger.revert(driver, lease, 'planned_end').catch(() => undefined);
}, 30_000);

afterAll(async () => {
  const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
  for (const h of helpers.filter((h) => h.Labels['gameday.target'] === target?.containerId))
    await docker
      .getContainer(h.Id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const name of [`${P}-t`, A, B])
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  await docker
    .getNetwork(`${P}-net`)
    .remove()
    .catch(() => undefined);
  await prisma.activeFault.deleteMany({ where: { engine: ENGINE } });
  await prisma.$disconnect();
}, 120_000);

it("Docker's embedded DNS rules are in the target's nat table (what every revert must leave as it was)", async () => {
  expect(await natTable()).toMatch(/-A DOCKER_OUTPUT -d 127\.0\.0\.11\/32 -p udp/);
});

it('dry run: the resolver command and the exact rules, nothing applied', async () => {
  const before = await natTable();
  const plan = await driver.dryRun(spec({ action: 'delay', delayMs: 300 }));
  const t = plan.targets[0];
  expect(t.apply[0]).toEqual(expect.arrayContaining(['gameday-helper', 'dnsstart', 'delay', '300', A]));
  expect(t.apply).toContainEqual(expect.arrayContaining(['-I', 'OUTPUT', '1', '-j', expect.stringMatching(/-DNS$/)]));
  expect(t.warnings.join('\n')).toContain('DelayAction(300)');
  expect(await natTable()).toBe(before);
});

/** What svc-a's query gets in the window, per action; svc-b always gets its own address. */
const cases: [string, Record<string, unknown>, (a: Answer) => boolean][] = [
  ['nxdomain', { action: 'nxdomain' }, (a) => a === 'nxdomain'],
  ['servfail', { action: 'servfail' }, (a) => a === 'servfail'],
  ['timeout', { action: 'timeout' }, (a) => a === 'none'],
  ['address', { action: 'address', addresses: ['10.99.0.7'] }, (a) => a === '10.99.0.7'],
];

it.each(cases)(
  '%s: applied at T0 and removed at T1 by the helper; svc-b resolves throughout; the nat table as before, no resolver left',
  async (_name, extra, expected) => {
    const before = await natTable();
    const legacyBefore = await legacyTables();
    const prepared = await driver.prepare(spec(extra), target, { expiresAt: new Date(Date.now() + 60_000) });
    const helperId = prepared.helperContainerId!;
    // the helper wrote the configuration compiled here, from the words it was given
    expect((await execInContainer(docker, helperId, ['cat', DNS_CONFIG_PATH])).stdout).toBe(prepared.dns!.config);
    expect(await resolversIn(helperId)).toBe(1);
    const t0 = Date.now() + 2_500;
    const t1 = t0 + 3_000;
    const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
    // armed, not applied: both resolve, the nat table untouched
    expect(await lookupInTarget(A)).toBe(ips[A]);
    expect(await natTable()).toBe(before);
    expect(Date.now()).toBeLessThan(t0); // (what was seen was before T0)
    // the helper's own record says when the steps were all in (tens of ms after T0 on this host)
    await waitFor('T0', async () => Date.now() > t0, 5_000, 20);
    await waitFor(
      'the helper to apply',
      async () => (await ledger.readTimeline(driver, lease)).state === 'applied',
      5_000,
      20,
    );
    const during = await lookupInTarget(A);
    expect([during, expected(during)]).toEqual([during, true]);
    expect(await lookupInTarget(B)).toBe(ips[B]);
    expect(await driver.verify(lease)).toEqual({ ok: true });
    await waitFor('T1', async () => Date.now() > t1, 8_000, 20);
    await waitFor(
      'the helper to revert',
      async () => (await ledger.readTimeline(driver, lease)).state === 'reverted',
      5_000,
      20,
    );
    expect(await lookupInTarget(A)).toBe(ips[A]);
    expect(await lookupInTarget(B)).toBe(ips[B]);
    expect(await natTable()).toBe(before);
    expect(await legacyTables()).toBe(legacyBefore);
    expect(await resolversIn(helperId)).toBe(0);
    const timeline = await ledger.readTimeline(driver, lease);
    expect(timeline).toMatchObject({ state: 'reverted', revertReason: 'scheduled' });
    console.log(
      `dns ${_name}: helper's record: applied ${timeline.appliedAt!.getTime() - t0} ms after T0, reverted ${timeline.revertedAt!.getTime() - t1} ms after T1`,
    );
    // the plan went to the helper as one iptables-restore block of the nat table, held by gameday-at
    // ahead of T0, with the resolver's check before it and the flush of port-53 flows after it
    const staged = (file: string) =>
      execInContainer(docker, helperId, ['cat', `/var/lib/gameday/steps/${file}`]).then((r) => r.stdout);
    expect(await staged('apply.batch')).toMatch(
      /^\*nat\n-N GAMEDAY-[0-9a-f]{8}-DNS\n(-A GAMEDAY-.*\n){3}-I OUTPUT 1 -m comment --comment gameday:[0-9a-f]{8} -j GAMEDAY-[0-9a-f]{8}-DNS\nCOMMIT\n$/,
    );
    expect([await staged('apply.pre'), await staged('apply.post'), await staged('undo.post')]).toEqual([
      'gameday-helper\ndnsready\n',
      'gameday-helper\ndnsflush\n',
      'gameday-helper\ndnsstop\n',
    ]);
    expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
    await driver.release(prepared);
  },
  30_000,
);

it('delay: the real answer, late by delayMs (within +10 % and a small constant), other names at once', async () => {
  const delayMs = 500;
  const before = await natTable();
  const prepared = await driver.prepare(spec({ action: 'delay', delayMs }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const lease = await ledger.apply(driver, prepared);
  try {
    // one socket, timed in the client: no process start in the figures
    const a = await udpClient(A, 700, 2_050);
    const b = await udpClient(B, 100, 300);
    console.log(
      `dns delay ${delayMs} ms: svc-a ${a.map((x) => x.ms).join(', ')} ms; svc-b ${b.map((x) => x.ms).join(', ')} ms`,
    );
    expect(a.length).toBeGreaterThanOrEqual(3);
    for (const x of a) {
      expect(x.answer).toBe('noerror 1');
      expect(x.ms).toBeGreaterThanOrEqual(delayMs);
      expect(x.ms).toBeLessThanOrEqual(delayMs * 1.1 + 20);
    }
    for (const x of b) {
      expect(x.answer).toBe('noerror 1');
      expect(x.ms).toBeLessThan(50);
    }
    expect((await lookupTimed(A, 3_000)).answer).toBe(ips[A]);
  } finally {
    expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('reverted');
  }
  expect(await natTable()).toBe(before);
  expect(await resolversIn(prepared.helperContainerId!)).toBe(0);
  expect((await lookupTimed(A)).ms).toBeLessThan(200);
  await driver.release(prepared);
}, 30_000);

it('verify names what is missing: our jump removed by someone else, then the resolver killed', async () => {
  const before = await natTable();
  const prepared = await driver.prepare(spec({ action: 'nxdomain' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const lease = await ledger.apply(driver, prepared);
  const chain = prepared.dns!.expected.chain;
  const jump = ['-m', 'comment', '--comment', `gameday:${prepared.dns!.id}`, '-j', chain];
  const nft = (...w: string[]) =>
    run(['nsenter', `--net=${sandbox}`, '--', 'iptables-nft', '-w', '-t', 'nat', ...w], 5_000);
  try {
    expect(await driver.verify(lease)).toEqual({ ok: true });
    await nft('-D', 'OUTPUT', ...jump);
    expect(await driver.verify(lease)).toEqual({
      ok: false,
      reasons: [`missing: -A OUTPUT -m comment --comment gameday:${prepared.dns!.id} -j ${chain}`],
    });
    expect((await lookupTimed(A)).answer).toBe(ips[A]);
    await nft('-I', 'OUTPUT', '1', ...jump);
    expect(await driver.verify(lease)).toEqual({ ok: true });
    const pid = (
      await execInContainer(docker, prepared.helperContainerId!, ['cat', '/var/lib/gameday/dns/pid'])
    ).stdout.trim();
    await execInContainer(docker, prepared.helperContainerId!, ['kill', '-9', pid]);
    await waitFor(
      'the resolver to be gone',
      async () => (await resolversIn(prepared.helperContainerId!)) === 0,
      5_000,
      50,
    );
    expect(await driver.verify(lease)).toEqual({ ok: false, reasons: ['the resolver is not running'] });
  } finally {
    expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('reverted');
  }
  expect(await natTable()).toBe(before);
  expect((await lookupTimed(A)).answer).toBe(ips[A]);
  await driver.release(prepared);
}, 30_000);

it('patterns: "*." matches only names below, a bare name itself and below, whatever the case', async () => {
  const prepared = await driver.prepare(
    spec({ names: [`*.${B}`, A.toUpperCase()], action: 'address', addresses: ['10.99.0.8'] }),
    target,
    {
      expiresAt: new Date(Date.now() + 60_000),
    },
  );
  const lease = await ledger.apply(driver, prepared);
  try {
    expect((await lookupTimed(B)).answer).toBe(ips[B]);
    expect((await lookupTimed(`x.${B}`)).answer).toBe('10.99.0.8');
    expect((await lookupTimed(`y.X.${B.toUpperCase()}`)).answer).toBe('10.99.0.8');
    expect((await lookupTimed(A)).answer).toBe('10.99.0.8');
    expect((await lookupTimed(`sub.${A}`)).answer).toBe('10.99.0.8');
    // a name that only ends like a pattern is not below it
    expect((await lookupTimed(`x${B}`)).answer).not.toBe('10.99.0.8');
  } finally {
    expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('reverted');
  }
  await driver.release(prepared);
}, 30_000);

it('a client that keeps its UDP socket is redirected from T0 and let go after T1 (its tracked flow is dropped at both)', async () => {
  const before = await natTable();
  const prepared = await driver.prepare(spec({ action: 'nxdomain' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const t0 = Date.now() + 1_500;
  const t1 = t0 + 2_000;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
  const answers = await udpClient(A, 100, t1 + 1_500 - Date.now());
  const phase = (from: number, to: number) => [
    ...new Set(answers.filter((a) => a.at >= from && a.at < to).map((a) => a.answer)),
  ];
  // one socket throughout: the answers before T0 came from Docker, those of the window from the
  // resolver (the flow tracked before T0 was dropped), those after T1 from Docker again
  expect(phase(0, t0 - 100)).toEqual(['noerror 1']);
  // from the helper's record of when the batch was in and out (the flows are dropped a process start later)
  const { appliedAt, revertedAt } = await ledger.readTimeline(driver, lease);
  console.log(
    `dns one socket: applied ${appliedAt!.getTime() - t0} ms after T0, reverted ${revertedAt!.getTime() - t1} ms after T1`,
  );
  expect(phase(appliedAt!.getTime() + 150, t1 - 100)).toEqual(['nxdomain 0']);
  expect(phase(revertedAt!.getTime() + 150, Infinity)).toEqual(['noerror 1']);
  expect(await natTable()).toBe(before);
  expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await driver.release(prepared);
}, 30_000);

it('an abort on stdin before T1 undoes it at once', async () => {
  const before = await natTable();
  const prepared = await driver.prepare(spec({ action: 'nxdomain' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const t0 = Date.now() + 1_500;
  const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t0 + 30_000) });
  await waitFor('svc-a to fail', async () => (await lookupTimed(A)).answer === 'nxdomain', 5_000, 20);
  const asked = Date.now();
  const r = await ledger.revert(driver, lease, 'abort');
  expect(r).toMatchObject({ outcome: 'reverted', abortPath: 'stdin' });
  console.log(`dns abort by stdin: reverted in ${Date.now() - asked} ms (the revert call, confirmation included)`);
  expect((await lookupTimed(A)).answer).toBe(ips[A]);
  expect(await natTable()).toBe(before);
  expect(await resolversIn(prepared.helperContainerId!)).toBe(0);
  await driver.release(prepared);
}, 30_000);

it('the reaper reverts from the lease alone when the helper is gone (removed without its TERM revert)', async () => {
  const before = await natTable();
  const prepared = await driver.prepare(spec({ action: 'nxdomain' }), target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const lease = await ledger.apply(driver, prepared);
  expect((await lookupTimed(A)).answer).toBe('nxdomain');
  // docker rm -f skips the helper's stop handler: the resolver dies with it, the rules stay and
  // send every query to a port nobody listens on
  await docker.getContainer(prepared.helperContainerId!).remove({ force: true });
  expect((await lookupTimed(B)).answer).not.toBe(ips[B]);
  await expireLeases(prisma, [lease.id]);
  expect(await sweepOnce(driver, leases, prisma)).toBe(1);
  expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
  expect((await lookupTimed(A)).answer).toBe(ips[A]);
  expect((await lookupTimed(B)).answer).toBe(ips[B]);
  expect(await natTable()).toBe(before);
}, 30_000);

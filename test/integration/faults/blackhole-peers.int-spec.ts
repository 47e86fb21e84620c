import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { faultSchema, PeerResolutionError, type BlackholeFaultSpec, type ResolvedTarget } from '@gameday/core';
import { PrismaLeaseRepository, PrismaService } from '@gameday/db';
import { blackholeDryRun, blackholePart, DockerFaultDriver, ensureHelperImage, execInContainer } from '@gameday/faults';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { waitFor } from '../../support/harness';
import { netnsTables } from '../../support/netns-tables';

/**
 * Blackhole peers named by container and by compose service (two replicas, labelled by hand as
 * Compose labels them) on the host's real Docker Engine. The target calls each container over
 * their shared network: the peers are refused while another container on the same network still
 * answers, and after the revert every table in the target's netns reads as it did before.
 */
const P = `gdbp-${randomBytes(3).toString('hex')}`;
const ENGINE = `blackhole-peers-test-${P}`;
const docker = new Docker();
const prisma = new PrismaService(process.env.DATABASE_URL!);
const leases = new PrismaLeaseRepository(prisma);
const ledger = new LeaseLedger(leases);
const NAMES = ['web', 'db', 'cache-1', 'cache-2', 'other', 'stopped', 'gd-worker'] as const;
type Name = (typeof NAMES)[number];
const ips = {} as Record<Name, string>;
let driver: DockerFaultDriver;
let target: ResolvedTarget;
let sandbox: string;

const DB = { container: `${P}-db` };
const CACHE = { compose: { project: P, service: 'cache' } };

function spec(input: Record<string, unknown>): BlackholeFaultSpec {
  return faultSchema.parse({
    kind: 'blackhole',
    target: { container: `${P}-web` },
    direction: 'egress',
    action: 'reject',
    protocol: 'tcp',
    ...input,
  }) as BlackholeFaultSpec;
}

/** One HTTP GET from inside the target to a neighbour: 'ok', 'refused' or busybox's complaint. */
async function call(to: Name): Promise<string> {
  // busybox's own wget -T crashes (static build): its timeout applet bounds a dropped call instead
  const r = await execInContainer(docker, `${P}-web`, [
    '/bin/busybox',
    'timeout',
    '3',
    '/bin/busybox',
    'wget',
    '-q',
    '-O',
    '-',
    `http://${ips[to]}/`,
  ]);
  if (r.exitCode === 0) return r.stdout.trim() === 'ok' ? 'ok' : `body ${r.stdout.trim()}`;
  return /refused/i.test(r.stderr) ? 'refused' : r.stderr.trim() || `exit ${r.exitCode}`;
}

async function helpersOfTarget(): Promise<string[]> {
  const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
  return helpers.filter((h) => h.Labels['gameday.target'] === target?.containerId).map((h) => h.Id);
}

const LABELS: Partial<Record<Name, Record<string, string>>> = {
  web: { 'gameday.enabled': 'true' },
  // a peer need not opt in: nothing is done to it
  db: { 'gameday.enabled': 'false' },
  'cache-1': { 'com.docker.compose.project': P, 'com.docker.compose.service': 'cache' },
  'cache-2': { 'com.docker.compose.project': P, 'com.docker.compose.service': 'cache' },
  'gd-worker': { 'gameday.role': 'worker' },
};

beforeAll(async () => {
  await docker.ping();
  driver = new DockerFaultDriver(docker, { helperImage: await ensureHelperImage(docker), engine: ENGINE });
  await docker.createNetwork({ Name: `${P}-net` });
  const image = await ensureLabTargetImage(docker);
  for (const name of NAMES) {
    const c = await docker.createContainer({
      name: `${P}-${name}`,
      Image: image,
      Labels: LABELS[name] ?? {},
      HostConfig: { NetworkMode: `${P}-net` },
    });
    await c.start();
    const info = await c.inspect();
    ips[name] = info.NetworkSettings.Networks[`${P}-net`].IPAddress;
    if (name === 'web') sandbox = info.NetworkSettings.SandboxKey;
  }
  await docker.getContainer(`${P}-stopped`).stop({ t: 0 });
  target = (await driver.resolveTargets(spec({ peers: [DB] }))).targets[0];
  await waitFor('the neighbours to answer the target', async () => (await call('other')) === 'ok');
}, 600_000);

afterAll(async () => {
  for (const id of await helpersOfTarget())
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const name of NAMES)
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

it('dry run: each peer → its addresses on the shared network, in the rules; nothing applied', async () => {
  const before = netnsTables(sandbox);
  const plan = await driver.dryRun(spec({ peers: [DB, CACHE, '10.0.0.5'] }));
  const t = plan.targets[0];
  expect(blackholeDryRun(t).peers).toEqual([
    { peer: `container ${P}-db`, addresses: [ips.db] },
    { peer: `compose ${P}/cache`, addresses: [ips['cache-1'], ips['cache-2']].sort() },
    { peer: '10.0.0.5', addresses: ['10.0.0.5'] },
  ]);
  for (const ip of [ips.db, ips['cache-1'], ips['cache-2']])
    expect(t.apply).toContainEqual(expect.arrayContaining(['-d', `${ip}/32`, '-j', 'REJECT']));
  expect(netnsTables(sandbox)).toBe(before);
});

it('a container peer and a compose service (every replica) are cut while another container on the network answers; revert restores every table', async () => {
  const before = netnsTables(sandbox);
  for (const n of ['db', 'cache-1', 'cache-2', 'other'] as const) expect(await call(n)).toBe('ok');
  const prepared = await driver.prepare(spec({ peers: [DB, CACHE] }), target, {
    expiresAt: new Date(Date.now() + 120_000),
  });
  const lease = await ledger.apply(driver, prepared);
  try {
    expect(await call('db')).toBe('refused');
    expect(await call('cache-1')).toBe('refused');
    expect(await call('cache-2')).toBe('refused');
    expect(await call('other')).toBe('ok');
    expect(await driver.verify(lease)).toEqual({ ok: true });
    // the lease holds the addresses as resolved when armed: verify and revert never look again
    const row = (await leases.get(lease.id))!;
    expect(blackholePart(row).peers).toEqual([
      { peer: `container ${P}-db`, addresses: [ips.db] },
      { peer: `compose ${P}/cache`, addresses: [ips['cache-1'], ips['cache-2']].sort() },
    ]);
  } finally {
    expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('reverted');
  }
  for (const n of ['db', 'cache-1', 'cache-2', 'other'] as const) expect(await call(n)).toBe('ok');
  expect(netnsTables(sandbox)).toBe(before);
  await driver.release(prepared);
}, 120_000);

it.each([
  ['a stopped container', { container: `${P}-stopped` }, /resolves to no address \(.*is not running/],
  ['a container that does not exist', { container: `${P}-nobody` }, /resolves to no address \(no container matches\)/],
  ["GameDay's own container", { container: `${P}-gd-worker` }, /belongs to the GameDay service/],
  ['a compose service nobody runs', { compose: { project: P, service: 'nope' } }, /no container matches/],
])(
  '%s as a peer: arming refuses, nothing is started or applied; the dry run warns',
  async (_what, peer, why) => {
    const before = netnsTables(sandbox);
    const s = spec({ peers: [peer, DB] });
    const plan = await driver.dryRun(s);
    expect(plan.targets[0].warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^arming would refuse this fault: peers\.0: /)]),
    );
    expect(plan.targets[0].warnings.join('\n')).toMatch(why);
    const err = await driver.prepare(s, target, { expiresAt: new Date(Date.now() + 60_000) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PeerResolutionError);
    expect((err as Error).message).toMatch(why);
    expect(await helpersOfTarget()).toEqual([]);
    expect(netnsTables(sandbox)).toBe(before);
  },
  60_000,
);

it('a peer with no address at all: the dry run shows no rule rather than one that matches every peer', async () => {
  const plan = await driver.dryRun(spec({ peers: [{ container: `${P}-stopped` }] }));
  expect(plan.targets[0]).toMatchObject({
    apply: [],
    revert: [],
    peers: [{ peer: `container ${P}-stopped`, addresses: [] }],
  });
});

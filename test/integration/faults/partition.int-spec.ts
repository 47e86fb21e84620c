import {
  faultSchema,
  TargetSelectionError,
  type FaultLease,
  type PartitionFaultSpec,
  type PreparedFault,
} from '@gameday/core';
import { PrismaLeaseRepository, PrismaService } from '@gameday/db';
import { DockerFaultDriver, ensureHelperImage, partitionDryRun, partitionPart } from '@gameday/faults';
import Docker from 'dockerode';
import { isDeepStrictEqual } from 'node:util';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { useContainerNetwork } from '../../support/container-network';
import { waitFor } from '../../support/harness';
import { inSandbox, netnsTables } from '../../support/netns-tables';
import { sweepOnce, expireLeases } from '../../support/lease-reaper';

/**
 * The partition kind on the host's real Docker Engine: group A is a compose service with two
 * replicas, group B a container chosen by a label, and an outsider shares their network. Every
 * call is made from inside the containers over that network: between the groups nothing passes
 * either way, while each group still reaches the outsider and its own members. One lease per
 * netns; after each ending (the helpers' clock, an abort, the reaper) every table of every netns
 * reads as it did before.
 */
const docker = new Docker();
const prisma = new PrismaService(process.env.DATABASE_URL!);
const leases = new PrismaLeaseRepository(prisma);
const ledger = new LeaseLedger(leases);
const opted = { 'gameday.enabled': 'true' };
const net = useContainerNetwork('gdpt', {
  a1: (p) => ({ ...opted, 'com.docker.compose.project': p, 'com.docker.compose.service': 'a' }),
  a2: (p) => ({ ...opted, 'com.docker.compose.project': p, 'com.docker.compose.service': 'a' }),
  b1: (p) => ({ ...opted, [`${p}.tier`]: 'b' }),
  // never a target (the lab image opts in: opted out here): it only answers and calls
  out: () => ({ 'gameday.enabled': 'false' }),
});
type Name = 'a1' | 'a2' | 'b1' | 'out';
const ENGINE = `partition-test-${net.prefix}`;
const SIDES: Name[] = ['a1', 'a2', 'b1'];
let driver: DockerFaultDriver;

function spec(input: Record<string, unknown> = {}): PartitionFaultSpec {
  return faultSchema.parse({
    kind: 'partition',
    between: [{ compose: { project: net.prefix, service: 'a' } }, { labels: { [`${net.prefix}.tier`]: 'b' } }],
    ...input,
  }) as PartitionFaultSpec;
}

/** Every table of every netns involved, the outsider's too. */
const allTables = () => (['a1', 'a2', 'b1', 'out'] as Name[]).map((n) => netnsTables(net.containers[n].sandbox));
const ourLines = (n: Name) =>
  inSandbox(net.containers[n].sandbox, ['iptables-legacy', '-S'])
    .split('\n')
    .filter((l) => /GAMEDAY-/.test(l));

/** Each call that must be cut and each one that must pass, with what it gave. */
async function reachability(timeoutSeconds: number): Promise<Record<string, string>> {
  const pairs: [Name, Name][] = [
    ['a1', 'b1'],
    ['b1', 'a1'],
    ['a2', 'b1'],
    ['b1', 'a2'],
    ['a1', 'out'],
    ['out', 'a2'],
    ['b1', 'out'],
    ['out', 'b1'],
    ['a1', 'a2'],
  ];
  const seen: Record<string, string> = {};
  await Promise.all(
    pairs.map(async ([from, to]) => {
      seen[`${from}→${to}`] = await net.call(from, to, timeoutSeconds);
    }),
  );
  return seen;
}

const cut = (how: string) => ({
  'a1→b1': how,
  'b1→a1': how,
  'a2→b1': how,
  'b1→a2': how,
  'a1→out': 'ok',
  'out→a2': 'ok',
  'b1→out': 'ok',
  'out→b1': 'ok',
  'a1→a2': 'ok',
});
const open = cut('ok');

/** The fault resolved and armed on every netns of both groups (nothing applied yet). */
async function prepareAll(s: PartitionFaultSpec, expiresAt: Date, graceMs?: number): Promise<PreparedFault[]> {
  const { targets } = await driver.resolveTargets(s);
  const prepared: PreparedFault[] = [];
  for (const t of targets) prepared.push(await driver.prepare(s, t, { expiresAt, graceMs }));
  return prepared;
}

async function releaseAll(prepared: PreparedFault[]): Promise<void> {
  for (const p of prepared) await driver.release(p);
}

beforeAll(async () => {
  driver = new DockerFaultDriver(docker, { helperImage: await ensureHelperImage(docker), engine: ENGINE });
  await waitFor('every container to answer', async () => isDeepStrictEqual(await reachability(2), open));
}, 600_000);

afterAll(async () => {
  await prisma.activeFault.deleteMany({ where: { engine: ENGINE } });
  await prisma.$disconnect();
}, 60_000);

it("resolves both groups, each target told its side, the other group's addresses its peers; the dry run applies nothing", async () => {
  const before = allTables();
  const plan = await driver.dryRun(spec());
  const { a1, a2, b1 } = net.containers;
  expect(plan.kind).toBe('partition');
  expect(plan.targets.map((t) => [t.target.containerName, partitionDryRun(t).side, partitionDryRun(t).peers])).toEqual([
    [a1.name, `between.0 (compose ${net.prefix}/a)`, [{ peer: `container ${b1.name}`, addresses: [b1.ip] }]],
    [a2.name, `between.0 (compose ${net.prefix}/a)`, [{ peer: `container ${b1.name}`, addresses: [b1.ip] }]],
    [
      b1.name,
      `between.1 (labels ${net.prefix}.tier=b)`,
      [
        { peer: `container ${a1.name}`, addresses: [a1.ip] },
        { peer: `container ${a2.name}`, addresses: [a2.ip] },
      ],
    ],
  ]);
  // both directions in every netns, against the other side only
  for (const t of plan.targets.slice(0, 2)) {
    expect(t.apply).toContainEqual(expect.arrayContaining(['-d', `${b1.ip}/32`, '-j', 'DROP']));
    expect(t.apply).toContainEqual(expect.arrayContaining(['-s', `${b1.ip}/32`, '-j', 'DROP']));
  }
  expect(allTables()).toEqual(before);
});

it.each([
  [
    'a container in both groups',
    [{ compose: {} }, { container: 'a1' }],
    /^between: the groups overlap: .*-a1 is in both groups/,
  ],
  ['an empty group', [{ compose: {} }, { container: 'nobody' }], /^between\.1: no eligible target for container/],
  ['a group of an outsider not opted in', [{ container: 'out' }, { compose: {} }], /^between\.0: no eligible target/],
])('%s: refused when resolved, nothing armed', async (_what, groups, why) => {
  const between = groups.map((g) =>
    'compose' in g ? { compose: { project: net.prefix, service: 'a' } } : { container: `${net.prefix}-${g.container}` },
  );
  const err = await driver.resolveTargets(spec({ between })).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TargetSelectionError);
  expect((err as Error).message).toMatch(why);
});

it('applied now: cut both ways between the groups only, one lease per netns read back in each; revert restores every table', async () => {
  const before = allTables();
  const prepared = await prepareAll(spec({ action: 'reject', protocol: 'tcp' }), new Date(Date.now() + 120_000));
  expect(new Set(prepared.map((p) => p.target.netnsId)).size).toBe(3);
  const applied: FaultLease[] = [];
  try {
    for (const p of prepared) applied.push(await ledger.apply(driver, p));
    expect(await reachability(3)).toEqual(cut('refused'));
    for (const lease of applied) {
      expect(await driver.verify(lease)).toEqual({ ok: true });
      const row = (await leases.get(lease.id))!;
      expect(row.kind).toBe('partition');
      expect(partitionPart(row).partitionSide).toMatch(/^between\.[01] /);
    }
    for (const n of SIDES)
      expect(ourLines(n)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^-A INPUT ! -i lo -m comment --comment "?gameday:[0-9a-f]{8}/)]),
      );
    expect(ourLines('out')).toEqual([]);
  } finally {
    for (const lease of applied) expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('reverted');
  }
  expect(await reachability(2)).toEqual(open);
  expect(allTables()).toEqual(before);
  await releaseAll(prepared);
}, 180_000);

it('the helpers keep the clock: dropped between the groups from T0, nothing of ours left in any netns after T1', async () => {
  const before = allTables();
  const prepared = await prepareAll(spec(), new Date(Date.now() + 120_000));
  const t0 = Date.now() + 5_000;
  const t1 = t0 + 5_000;
  const planned: FaultLease[] = [];
  for (const p of prepared)
    planned.push(await ledger.schedule(driver, p, { applyAt: new Date(t0), revertAt: new Date(t1) }));
  expect(await reachability(2)).toEqual(open);
  await new Promise((r) => setTimeout(r, t0 + 300 - Date.now()));
  // a dropped call is unanswered, not refused
  expect(await reachability(1)).toEqual(cut('timeout'));
  await new Promise((r) => setTimeout(r, t1 + 1_000 - Date.now()));
  const timelines = await Promise.all(planned.map((lease) => ledger.readTimeline(driver, lease)));
  console.log(
    `partition, helpers' records per netns: applied ${timelines.map((t) => t.appliedAt!.getTime() - t0).join('/')} ms after T0, ` +
      `reverted ${timelines.map((t) => t.revertedAt!.getTime() - t1).join('/')} ms after T1`,
  );
  for (const t of timelines) expect(t).toMatchObject({ state: 'reverted', revertReason: 'scheduled' });
  expect(allTables()).toEqual(before);
  for (const n of SIDES) expect(ourLines(n)).toEqual([]);
  expect(await reachability(2)).toEqual(open);
  for (const lease of planned) expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await releaseAll(prepared);
}, 180_000);

it('an abort mid-window reverts every lease of the partition', async () => {
  const before = allTables();
  const prepared = await prepareAll(spec({ action: 'reject' }), new Date(Date.now() + 120_000));
  const t0 = Date.now() + 4_000;
  const planned: FaultLease[] = [];
  for (const p of prepared)
    planned.push(await ledger.schedule(driver, p, { applyAt: new Date(t0), revertAt: new Date(t0 + 60_000) }));
  await new Promise((r) => setTimeout(r, t0 + 300 - Date.now()));
  expect(await reachability(2)).toEqual(cut('refused'));
  for (const lease of planned)
    expect(await ledger.revert(driver, lease, 'abort')).toMatchObject({ outcome: 'reverted', abortPath: 'stdin' });
  expect(await reachability(2)).toEqual(open);
  expect(allTables()).toEqual(before);
  await releaseAll(prepared);
}, 180_000);

it('the reaper reverts every netns from its lease alone when the helpers are gone', async () => {
  const before = allTables();
  const prepared = await prepareAll(spec({ action: 'reject' }), new Date(Date.now() + 120_000));
  const applied: FaultLease[] = [];
  for (const p of prepared) applied.push(await ledger.apply(driver, p));
  // docker rm -f skips the helpers' stop handler: the rules stay, nobody guards them
  for (const p of prepared) await docker.getContainer(p.helperContainerId!).remove({ force: true });
  expect(await reachability(2)).toEqual(cut('refused'));
  await expireLeases(
    prisma,
    applied.map((l) => l.id),
  );
  expect(await sweepOnce(driver, leases, prisma)).toBe(3);
  for (const lease of applied) expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
  expect(await reachability(2)).toEqual(open);
  expect(allTables()).toEqual(before);
}, 180_000);

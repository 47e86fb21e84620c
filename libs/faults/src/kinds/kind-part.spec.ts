import {
  compileBlackhole,
  compileDns,
  compileNetworkFault,
  compileReset,
  faultSchema,
  leaseDetailsOf,
  planDiskFill,
  processKillPlan,
  stressPlan,
  type BlackholeFaultSpec,
  type DiskFillFaultSpec,
  type DnsFaultSpec,
  type FaultLease,
  type FaultSpec,
  type NetworkFaultSpec,
  type PartitionTarget,
  type PreparedFault,
  type ProcessKillFaultSpec,
  type ResetFaultSpec,
  type ResolvedTarget,
  type StressFaultSpec,
} from '@gameday/core';
import { blackholePart } from './blackhole/blackhole-part';
import { containerPart } from './container/container-part';
import { diskFillPart } from './disk-fill/disk-fill-part';
import { dnsPart } from './dns/dns-part';
// through the registry: the kind modules are loaded the way the product loads them
import { FAULT_KINDS, faultKind } from './fault-kind.registry';
import { kindPart } from './kind-part';
import { networkPart } from './network/network-part';
import type { PartitionLeasePart } from './partition/partition-part';
import { processKillPart } from './process-kill/process-kill-part';
import { resetPart } from './reset/reset-part';
import { stressPart } from './stress/stress-part';

/**
 * A lease written by the previous version (each kind's fields at the top level of its details)
 * may still be open when this version starts: the reaper reverts it from the row. Read back, it
 * must be the row this version writes for the same fault, and the kind must find its fields there.
 */

const target: ResolvedTarget = { engine: 'e', containerId: 'c1', containerName: 'web', netnsId: 'ns1', labels: {} };
const expiresAt = new Date('2030-01-01T00:01:00.000Z');
const selfExpiryAt = '2030-01-01T00:01:30.000Z';
const at = { applyAt: new Date('2030-01-01T00:00:10.000Z'), revertAt: new Date('2030-01-01T00:00:40.000Z') };
const instants = { applyAt: at.applyAt.toISOString(), revertAt: at.revertAt.toISOString(), selfExpiryAt };
const peers = [{ peer: 'container db', addresses: ['10.0.0.2'] }];
const spec = <S extends FaultSpec>(input: Record<string, unknown>) =>
  faultSchema.parse({ target: { container: 'web' }, ...input }) as S;

function prepared(s: FaultSpec, armed: unknown, extra: Partial<PreparedFault> = {}): PreparedFault {
  return {
    spec: s,
    target,
    strategy: 'sidecar',
    armed,
    helperContainerId: 'helper-1',
    expiresAt,
    graceMs: 30_000,
    experimentIndex: 0,
    clockOffset: { offsetMs: 7, uncertaintyMs: 1, correctionMs: 7 },
    abortNonce: '0123456789abcdef',
    ...extra,
  };
}

interface Case {
  name: string;
  prepared: PreparedFault;
  /** the details the previous version's draftLease wrote for it */
  old: Record<string, unknown>;
  /** what its scheduled lease's details were (kinds whose helper keeps the clock) */
  oldScheduled?: Record<string, unknown>;
  /** what the kind's verify or revert reads from the row */
  reads: (lease: Pick<FaultLease, 'details'>) => unknown;
  want: unknown;
}

const network = compileNetworkFault(spec<NetworkFaultSpec>({ kind: 'network', netem: { delay: '100ms' } }));
const blackholeSpec = spec<BlackholeFaultSpec>({ kind: 'blackhole', peers: [{ container: 'db' }], action: 'drop' });
const blackhole = compileBlackhole(blackholeSpec, { id: '0a1b2c3d', tool: 'iptables-legacy', peers });
const resetSpec = spec<ResetFaultSpec>({ kind: 'reset', peers: ['10.0.0.2'] });
const reset = compileReset(resetSpec);
const anyReset = compileReset(spec<ResetFaultSpec>({ kind: 'reset', ports: [5432] }));
const dnsSpec = spec<DnsFaultSpec>({ kind: 'dns', names: ['db'], action: 'nxdomain' });
const dns = compileDns(dnsSpec, { id: '0a1b2c3d', tool: 'iptables-nft', port: 20053, nameservers: ['127.0.0.11'] });
const killSpec = spec<ProcessKillFaultSpec>({ kind: 'process-kill', process: 'nginx', every: '5s' });
const stressSpec = spec<StressFaultSpec>({ kind: 'stress', cpu: { workers: 1, load: 50 } });
const stress = { ...stressPlan(stressSpec), cgroupPath: '/docker/c1', cgroupVersion: 1 as const };
const fillSpec = spec<DiskFillFaultSpec>({ kind: 'disk-fill', path: '/data', size: { mb: 8 } });
const statfs = { frsize: 4096, blocks: 262144, bfree: 200000, bavail: 200000 };
const fill = planDiskFill(fillSpec, { statfs, own: true, ownWhy: 'tmpfs', fsType: 'tmpfs' }, '0a1b2c3d');
const watchdog = {
  armingId: '0123456789abcdef',
  deadlineAt: expiresAt.toISOString(),
  engineDeadlineMs: 9,
  startedAt: 's',
};
const side = { index: 0 as const, group: 'between.0 (container web)', peers: ['db'] };
const sideTarget: PartitionTarget = { ...target, side };

const CASES: Case[] = [
  {
    name: 'network',
    prepared: prepared(spec({ kind: 'network', netem: { delay: '100ms' } }), network),
    old: { expected: network.expected, warnings: network.warnings, selfExpiryAt, clockCorrectionMs: 7 },
    oldScheduled: { expected: network.expected, warnings: network.warnings, ...instants, clockCorrectionMs: 7 },
    reads: (l) => networkPart(l).expected,
    want: network.expected,
  },
  {
    name: 'network',
    prepared: prepared(spec({ kind: 'network', strategy: 'nsenter', netem: { delay: '100ms' } }), network, {
      strategy: 'nsenter',
      target: { ...target, netnsInode: 'net:[4026532288]' },
    }),
    old: {
      expected: network.expected,
      warnings: network.warnings,
      selfExpiryAt,
      clockCorrectionMs: 7,
      netnsInode: 'net:[4026532288]',
    },
    reads: (l) => [networkPart(l).expected, l.details?.netnsInode],
    want: [network.expected, 'net:[4026532288]'],
  },
  {
    name: 'container',
    prepared: prepared(spec({ kind: 'container', action: 'pause' }), { watchdog }, { strategy: 'docker' }),
    old: { action: 'pause', watchdog, clockCorrectionMs: 7 },
    reads: (l) => containerPart(l),
    want: { action: 'pause', watchdog },
  },
  {
    name: 'container',
    prepared: prepared(spec({ kind: 'container', action: 'kill', signal: 'SIGTERM' }), undefined, {
      strategy: 'docker',
    }),
    old: { action: 'kill', signal: 'SIGTERM' },
    reads: (l) => containerPart(l),
    want: { action: 'kill', signal: 'SIGTERM' },
  },
  {
    name: 'blackhole',
    prepared: prepared(blackholeSpec, blackhole),
    old: { blackhole: blackhole.expected, peers, warnings: blackhole.warnings, selfExpiryAt, clockCorrectionMs: 7 },
    oldScheduled: {
      blackhole: blackhole.expected,
      peers,
      warnings: blackhole.warnings,
      ...instants,
      clockCorrectionMs: 7,
    },
    reads: (l) => blackholePart(l),
    want: { blackhole: blackhole.expected, peers },
  },
  {
    name: 'partition',
    prepared: prepared(
      faultSchema.parse({ kind: 'partition', between: [{ container: 'web' }, { container: 'db' }] }),
      blackhole,
      { target: sideTarget },
    ),
    old: {
      blackhole: blackhole.expected,
      peers,
      warnings: blackhole.warnings,
      partitionSide: side.group,
      selfExpiryAt,
      clockCorrectionMs: 7,
    },
    oldScheduled: {
      blackhole: blackhole.expected,
      peers,
      warnings: blackhole.warnings,
      partitionSide: side.group,
      ...instants,
      clockCorrectionMs: 7,
    },
    reads: (l) => [blackholePart(l).blackhole, kindPart<PartitionLeasePart>(l).partitionSide],
    want: [blackhole.expected, side.group],
  },
  {
    name: 'reset',
    prepared: prepared(resetSpec, reset),
    old: { peers: reset.peers, warnings: reset.warnings, selfExpiryAt, clockCorrectionMs: 7 },
    oldScheduled: { peers: reset.peers, warnings: reset.warnings, ...instants, clockCorrectionMs: 7 },
    reads: (l) => resetPart(l).peers,
    want: reset.peers,
  },
  {
    name: 'reset',
    prepared: prepared(spec({ kind: 'reset', ports: [5432] }), anyReset),
    old: { warnings: anyReset.warnings, selfExpiryAt, clockCorrectionMs: 7 },
    oldScheduled: { warnings: anyReset.warnings, ...instants, clockCorrectionMs: 7 },
    reads: (l) => resetPart(l),
    want: {},
  },
  {
    name: 'dns',
    prepared: prepared(dnsSpec, dns),
    old: { dns: dns.expected, warnings: dns.warnings, selfExpiryAt, clockCorrectionMs: 7 },
    oldScheduled: { dns: dns.expected, warnings: dns.warnings, ...instants, clockCorrectionMs: 7 },
    reads: (l) => dnsPart(l).dns,
    want: dns.expected,
  },
  {
    name: 'process-kill',
    prepared: prepared(killSpec, undefined),
    old: { processKill: processKillPlan(killSpec), selfExpiryAt, clockCorrectionMs: 7 },
    oldScheduled: { processKill: processKillPlan(killSpec), ...instants, clockCorrectionMs: 7 },
    reads: (l) => processKillPart(l).processKill,
    want: { process: 'nginx', signal: 'KILL', everyMs: 5000 },
  },
  {
    name: 'stress',
    prepared: prepared(stressSpec, stress),
    old: { stress, selfExpiryAt, clockCorrectionMs: 7 },
    oldScheduled: { stress, ...instants, clockCorrectionMs: 7 },
    reads: (l) => stressPart(l).stress,
    want: stress,
  },
  {
    name: 'disk-fill',
    prepared: prepared(fillSpec, fill),
    old: { diskFill: fill, clockCorrectionMs: 7, selfExpiryAt },
    oldScheduled: { diskFill: fill, clockCorrectionMs: 7, ...instants },
    reads: (l) => diskFillPart(l).diskFill,
    want: fill,
  },
];

/** Through the JSON column and back, as the repository reads a row. */
const stored = (details: unknown) => ({ details: leaseDetailsOf(JSON.parse(JSON.stringify(details))) });
const nonce = { abortNonce: '0123456789abcdef', step: 'a' };

describe("a lease row of the previous version (the kind's fields at the top level)", () => {
  it('has a case for every kind', () => {
    expect([...new Set(CASES.map((c) => c.name))].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it.each(CASES.map((c, i) => [`${c.name} (${i})`, c] as const))(
    'of a %s reads as the row this version writes, and its kind finds its fields there',
    (_name, c) => {
      const kind = faultKind(c.name as FaultSpec['kind']);
      const now = stored({ ...kind.draftLease(c.prepared).details, ...nonce });
      const then = stored({ ...c.old, ...nonce });
      expect(then).toEqual(now);
      expect(c.reads(then)).toEqual(c.want);
      expect(c.reads(now)).toEqual(c.want);
      if (!c.oldScheduled) return;
      const expireAt = Date.parse(selfExpiryAt);
      const scheduledNow = stored({ ...kind.schedule!.details(c.prepared, at, expireAt), ...nonce });
      const scheduledThen = stored({ ...c.oldScheduled, ...nonce });
      expect(scheduledThen).toEqual(scheduledNow);
      expect(c.reads(scheduledThen)).toEqual(c.want);
    },
  );
});

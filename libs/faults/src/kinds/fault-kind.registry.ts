import type { FaultLease, FaultSpec, PreparedFault } from '@gameday/core';
import { blackholeKind } from './blackhole/blackhole.kind';
import { containerKind } from './container/container.kind';
import type { FaultCapabilities, FaultKind } from './fault-kind';
import { networkKind } from './network/network.kind';
import { partitionKind } from './partition/partition.kind';
import { processKillKind } from './process-kill/process-kill.kind';
import { stressKind } from './stress/stress.kind';
import { diskFillKind } from './disk-fill/disk-fill.kind';
import { resetKind } from './reset/reset.kind';
import { dnsKind } from './dns/dns.kind';

/**
 * Kind name → module on a Docker Engine. The kinds are listed in core (FAULT_KIND_DEFS: their pure
 * parts, which make the spec's union); the type below makes this map answer every one of them, so
 * adding a kind is one line here, and refused until it is. What each module arms and keeps in its
 * lease is its own type: a prepared fault and a lease reach only the module of their kind.
 */
const REGISTRY: { readonly [K in FaultSpec['kind']]: FaultKind<Extract<FaultSpec, { kind: K }>> } = {
  network: networkKind,
  container: containerKind,
  blackhole: blackholeKind,
  'process-kill': processKillKind,
  stress: stressKind,
  reset: resetKind,
  partition: partitionKind,
  dns: dnsKind,
  'disk-fill': diskFillKind,
};

export const FAULT_KINDS: readonly FaultSpec['kind'][] = Object.freeze(Object.keys(REGISTRY) as FaultSpec['kind'][]);

/** The module of a kind; throws for a name no module answers to (a row changed by hand, say). */
export function faultKind(name: FaultSpec['kind'] | FaultLease['kind']): FaultKind {
  const kind = (REGISTRY as Record<string, FaultKind | undefined>)[name];
  if (!kind) throw new Error(`no fault kind ${String(name)}`);
  return kind;
}

/**
 * What the worker may rely on for a prepared fault or a lease (who keeps its clock, whether it is
 * read back and re-checked), asked of its kind: the worker never compares kind names itself.
 */
export function faultCapabilities(fault: PreparedFault | FaultLease): FaultCapabilities {
  return faultKind('spec' in fault ? fault.spec.kind : fault.kind).capabilities(fault);
}

/**
 * The group of a lease's target, for a kind whose targets are in groups (a partition's side);
 * undefined otherwise, and for a row whose kind no module answers to (run results never throw).
 */
export function leaseSide(lease: FaultLease): string | undefined {
  return (REGISTRY as Record<string, FaultKind | undefined>)[lease.kind]?.side?.(lease);
}

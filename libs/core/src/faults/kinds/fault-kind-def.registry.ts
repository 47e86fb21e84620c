import { blackholeKindDef } from './blackhole.kind-def';
import { containerKindDef } from './container.kind-def';
import type { TargetSpec } from '../target.schema';
import type { FaultKindDef, FaultTargetRef } from './fault-kind-def';
import { partitionKindDef } from './partition.kind-def';
import { networkKindDef } from './network.kind-def';
import { processKillKindDef } from './process-kill.kind-def';
import { stressKindDef } from './stress.kind-def';
import { diskFillKindDef } from './disk-fill.kind-def';
import { resetKindDef } from './reset.kind-def';
import { dnsKindDef } from './dns.kind-def';

/**
 * The pure parts of the fault kinds, in one list: the only place in core that names them. The
 * spec's fault union and the ledger's allow-list are built from it (in this order).
 */
export const FAULT_KIND_DEFS = [
  networkKindDef,
  containerKindDef,
  blackholeKindDef,
  processKillKindDef,
  stressKindDef,
  resetKindDef,
  partitionKindDef,
  dnsKindDef,
  diskFillKindDef,
] as const;

type SchemasOf<T extends readonly FaultKindDef[]> = {
  readonly [I in keyof T]: T[I] extends { schema: infer S } ? S : never;
};

const schemasOf = <T extends readonly FaultKindDef[]>(defs: T) => defs.map((def) => def.schema) as SchemasOf<T>;

/** Each kind's member of the spec's fault union, in the order of FAULT_KIND_DEFS. */
export const FAULT_KIND_SCHEMAS = schemasOf(FAULT_KIND_DEFS);

/** The pure part of a kind by name; undefined for a name no kind answers to (a row changed by hand, say). */
export function faultKindDef(name: string): FaultKindDef | undefined {
  return (FAULT_KIND_DEFS as readonly FaultKindDef[]).find((def) => def.name === name);
}

/** The target selectors a fault names (its `target`, or its kind's own), with their paths in it. */
export function faultTargets(fault: { kind: string }): FaultTargetRef[] {
  const def = faultKindDef(fault.kind);
  if (def?.targets) return def.targets(fault);
  return [{ path: ['target'], target: (fault as unknown as { target: TargetSpec }).target }];
}

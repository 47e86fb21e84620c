import { z } from 'zod';
import { FAULT_KIND_SCHEMAS } from './kinds/fault-kind-def.registry';

export { faultTargets } from './kinds/fault-kind-def.registry';
export type { FaultTargetRef } from './kinds/fault-kind-def';

export * from './target.schema';
export * from './network.schema';
export * from './container.schema';
export type { BlackholeFaultSpec } from './blackhole.schema';
export type { ProcessKillFaultSpec } from './process-kill.schema';
export type { PartitionFaultSpec } from './partition.schema';
export type { DnsFaultSpec } from './dns.schema';

/**
 * The fault part of a GameDay spec: one member per kind, each contributed by its kind (see
 * kinds/fault-kind-def.registry.ts), told apart by `kind`.
 */
export const faultSchema = z.discriminatedUnion('kind', FAULT_KIND_SCHEMAS);

export type FaultSpec = z.infer<typeof faultSchema>;
export type FaultSpecInput = z.input<typeof faultSchema>;

export const EXEC_STRATEGY_REFUSED =
  'the exec strategy runs tc inside the target with its binaries and privileges; it is off unless an admin sets GAMEDAY_ALLOW_EXEC_STRATEGY=true (use sidecar)';

/** Whether a fault would run the target's own binaries (the exec strategy; no other kind offers it). */
export function usesExecStrategy(fault: FaultSpec | { kind: string; strategy?: string }): boolean {
  return (fault as { strategy?: string }).strategy === 'exec';
}

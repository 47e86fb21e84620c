import { partitionFaultSchema, type PartitionFaultSpec } from '../partition.schema';
import { blackholeKindDef } from './blackhole.kind-def';
import type { FaultKindDef } from './fault-kind-def';

/**
 * A partition is a blackhole in each netns of both groups: its leases run a blackhole's commands
 * (the same allow-list). Its targets are its two groups, not one `target`.
 */
export const partitionKindDef = {
  name: 'partition',
  schema: partitionFaultSchema,
  ledgerArgv: blackholeKindDef.ledgerArgv,
  targets: (fault) => (fault as PartitionFaultSpec).between.map((target, i) => ({ path: ['between', i], target })),
} as const satisfies FaultKindDef<'partition'>;

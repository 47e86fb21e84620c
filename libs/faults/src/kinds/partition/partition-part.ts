import type { DryRunTarget, FaultLease, PartitionTarget, ResolvedTarget } from '@gameday/core';
import type { BlackholeDryRunPart, BlackholeLeasePart } from '../blackhole/blackhole-part';
import { kindFields, kindPart } from '../kind-part';

/** A partition's side's part of its lease: the blackhole's, and the group of the lease's netns. */
export interface PartitionLeasePart extends BlackholeLeasePart {
  /** "between.0 (compose shop/api)"; the peers are the other group's */
  partitionSide: string;
}

/** What a partition's dry run shows of a target beside its plan: the blackhole's peers, and its group. */
export interface PartitionDryRunPart extends BlackholeDryRunPart {
  /** this target's group (its peers are the other group's containers) */
  side: string;
}

/** A target as the partition's resolveTargets made it: its side (absent on a target resolved otherwise). */
export const partitionTarget = (target: ResolvedTarget) => kindFields<Pick<PartitionTarget, 'side'>>(target);

export const partitionDryRun = (target: DryRunTarget) => kindFields<PartitionDryRunPart>(target);

export const partitionPart = (lease: Pick<FaultLease, 'details'>) => kindPart<PartitionLeasePart>(lease);

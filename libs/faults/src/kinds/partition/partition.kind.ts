import {
  assignPartitionSides,
  partitionSideBlackhole,
  TargetSelectionError,
  type BlackholeFaultSpec,
  type PartitionFaultSpec,
  type PartitionSide,
  type PreparedFault,
  type ResolvedTarget,
  type TargetResolution,
} from '@gameday/core';
import { armBlackhole } from '../blackhole/blackhole-arm';
import { blackholeKind } from '../blackhole/blackhole.kind';
import { blackholeActions, blackholeLeasePart } from '../blackhole/blackhole-lease';
import type { BlackholeArmed } from '../blackhole/blackhole-part';
import type { FaultKind } from '../fault-kind';
import { partitionPart, partitionTarget, type PartitionDryRunPart, type PartitionLeasePart } from './partition-part';

function sideOf(target: ResolvedTarget): PartitionSide {
  // only the kind's own resolveTargets makes a partition's targets: a target without a side is a bug
  const { side } = partitionTarget(target);
  if (!side) throw new Error(`partition target ${target.containerName} has no side (resolve it as a partition)`);
  return side;
}

/** The blackhole this target's netns gets: both directions, against the other group's containers. */
function sideBlackhole(spec: PartitionFaultSpec, target: ResolvedTarget): BlackholeFaultSpec {
  const side = sideOf(target);
  return partitionSideBlackhole(
    spec,
    side.index,
    side.peers.map((container) => ({ container })),
  );
}

const sideDetails = (prepared: PreparedFault) => ({ partitionSide: sideOf(prepared.target).group });

/**
 * Partitions: a blackhole in each network namespace of both groups against the other group's
 * addresses (resolved when armed), so nothing passes between the groups either way while their
 * traffic with anyone else is untouched. One prepared fault and one lease per netns; the rules,
 * the helper's clock, verify and revert are the blackhole's own.
 */
export const partitionKind: FaultKind<PartitionFaultSpec, BlackholeArmed, PartitionLeasePart, PartitionDryRunPart> = {
  name: 'partition',
  dedupeNetns: true,
  capabilities: blackholeKind.capabilities,

  async resolveTargets(spec, resolveOne) {
    const groups: TargetResolution[] = [];
    for (const [i, group] of spec.between.entries()) {
      try {
        groups.push(await resolveOne(group));
      } catch (err) {
        // an empty group would leave the other cut off from nobody: refused, naming the group
        if (err instanceof TargetSelectionError)
          throw new TargetSelectionError(`between.${i}: ${err.message}`, err.refused);
        throw err;
      }
    }
    return assignPartitionSides(spec, [groups[0], groups[1]]);
  },

  async dryRunTarget(engine, spec, target) {
    const plan = await blackholeKind.dryRunTarget(engine, sideBlackhole(spec, target), target);
    return { ...plan, side: sideOf(target).group };
  },

  async prepare(engine, spec, base, options) {
    return armBlackhole(engine, sideBlackhole(spec, base.target), base, options);
  },

  draftLease: (prepared) => blackholeLeasePart('partition', prepared, sideDetails),
  ...blackholeActions<PartitionFaultSpec, Pick<PartitionLeasePart, 'partitionSide'>>(sideDetails),
  side: (lease) => partitionPart(lease).partitionSide,
};

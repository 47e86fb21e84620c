import type { ResolvedTarget, TargetResolution } from './fault-driver';
import { partitionGroupLabel, type PartitionFaultSpec, type PartitionSideIndex } from './partition.schema';
import { TargetSelectionError, type SelectionRecord } from './target-selection';

/** A partition's target: which group it is in, and the other group's containers (its peers). */
export interface PartitionSide {
  index: PartitionSideIndex;
  /** e.g. "between.0 (compose shop/api)" */
  group: string;
  /** the other group's selected containers, by name: resolved to addresses when the fault is armed */
  peers: string[];
}

/** A target as a partition resolves it: with its side (a field of the partition kind's own). */
export interface PartitionTarget extends ResolvedTarget {
  side: PartitionSide;
}

/** A partition's resolution: `selection` sums its groups', each group's own is beside it. */
export interface PartitionResolution extends TargetResolution<PartitionTarget> {
  groups: [SelectionRecord, SelectionRecord];
}

/**
 * The two groups' resolutions → one, each target marked with its side and the other side's
 * containers as its peers. Refused (nothing armed): a container in both groups, or two containers
 * of different groups in one network namespace (rules there cannot cut it from itself).
 */
export function assignPartitionSides(
  spec: PartitionFaultSpec,
  groups: readonly [TargetResolution, TargetResolution],
): PartitionResolution {
  const labels = [partitionGroupLabel(spec.between[0], 0), partitionGroupLabel(spec.between[1], 1)];
  const problems: string[] = [];
  for (const a of groups[0].targets)
    for (const b of groups[1].targets) {
      if (a.containerId === b.containerId)
        problems.push(`${a.containerName} is in both groups (${labels[0]} and ${labels[1]})`);
      else if (a.netnsId === b.netnsId)
        problems.push(
          `${a.containerName} (${labels[0]}) and ${b.containerName} (${labels[1]}) share one network namespace: no rule in it can cut one from the other`,
        );
    }
  if (problems.length)
    throw new TargetSelectionError(`between: the groups overlap: ${problems.join('; ')}; nothing was armed`, []);
  const mark = (side: PartitionSideIndex): PartitionTarget[] =>
    groups[side].targets.map((t) => ({
      ...t,
      side: {
        index: side,
        group: labels[side],
        peers: groups[side === 0 ? 1 : 0].targets.map((p) => p.containerName),
      },
    }));
  const [a, b] = groups.map((g) => g.selection);
  return {
    targets: [...mark(0), ...mark(1)],
    refused: [...groups[0].refused, ...groups[1].refused],
    deduplicated: [...groups[0].deduplicated, ...groups[1].deduplicated],
    // one record for the run's event; each group's own stays beside it
    selection: {
      mode: a.mode === b.mode ? a.mode : 'all',
      eligible: a.eligible + b.eligible,
      chosen: [...a.chosen, ...b.chosen],
      draws: [...a.draws, ...b.draws],
    },
    groups: [a, b],
  };
}

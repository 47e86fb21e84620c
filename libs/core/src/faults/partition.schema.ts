import { z } from 'zod';
import { refineResetProtocol, type BlackholeFaultSpec, type BlackholePeer } from './blackhole.schema';
import { targetSchemaWith, type TargetSpec } from './target.schema';

/**
 * The partition fault: every packet between two groups of containers is dropped (or refused), both
 * directions, and their traffic with anyone else is untouched. Each container of one group gets a
 * blackhole against the other group's addresses in its own network namespace (one lease per
 * netns): the words are a blackhole's, so are the 400s. Ports are not offered: a blackhole's
 * `ports` and `localPorts` are one side's view, and a partition has no side to take.
 */

/** A group is a target selector; a partition cuts every container of it unless told otherwise. */
export const partitionGroupSchema = targetSchemaWith({ mode: 'all' });

export const partitionFaultSchema = z
  .strictObject({
    kind: z.literal('partition'),
    /** The two groups (container, compose service or labels): nothing passes between them. */
    between: z
      .array(partitionGroupSchema)
      .min(2, 'between names two groups of containers (e.g. two compose services): one side alone is a blackhole')
      .max(2, 'between names exactly two groups of containers'),
    /** drop: silence (callers time out); reject: TCP reset for TCP, ICMP port-unreachable otherwise */
    action: z.enum(['drop', 'reject']).default('drop'),
    protocol: z.enum(['tcp', 'udp', 'icmp', 'all']).default('all'),
    /** At T0, right after the rules, the established TCP connections between the groups are destroyed. */
    resetEstablished: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    refineResetProtocol(v, ctx);
    if (v.between.length === 2 && sameSelector(v.between[0], v.between[1]))
      ctx.addIssue({
        code: 'custom',
        path: ['between', 1],
        message: 'the two groups name the same containers: a partition is between two different groups',
      });
  });

export type PartitionFaultSpec = z.infer<typeof partitionFaultSchema>;

/** Which containers a selector names, as written (the selection aside). */
function sameSelector(a: TargetSpec, b: TargetSpec): boolean {
  const key = (t: TargetSpec) =>
    JSON.stringify([
      t.container?.replace(/^\//, ''),
      t.compose?.project,
      t.compose?.service,
      t.labels && Object.entries(t.labels).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    ]);
  return key(a) === key(b);
}

/** The group index (0 or 1) of `between` and its path in the spec, for messages and reports. */
export type PartitionSideIndex = 0 | 1;

/** How a group is named in the dry run, the lease and messages. */
export function partitionGroupLabel(group: TargetSpec, side: PartitionSideIndex): string {
  const what =
    group.container !== undefined
      ? `container ${group.container}`
      : group.compose !== undefined
        ? `compose ${group.compose.project}${group.compose.service ? `/${group.compose.service}` : ''}`
        : `labels ${Object.entries(group.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`;
  return `between.${side} (${what})`;
}

/**
 * One side of a partition as the blackhole it is in that side's netns: both directions, against
 * the other group's containers (resolved to their addresses when armed).
 */
export function partitionSideBlackhole(
  spec: PartitionFaultSpec,
  side: PartitionSideIndex,
  peers: BlackholePeer[],
): BlackholeFaultSpec {
  return {
    kind: 'blackhole',
    target: spec.between[side],
    action: spec.action,
    direction: 'both',
    peers,
    protocol: spec.protocol,
    ...(spec.resetEstablished !== undefined ? { resetEstablished: spec.resetEstablished } : {}),
  };
}

import { z } from 'zod';
import { BLACKHOLE_MAX_PEERS, peerSchema, portListSchema } from './blackhole.schema';
import { targetSchema } from './target.schema';

/**
 * The reset fault: at T0 the target's established TCP connections that match are destroyed in its
 * netns (the kernel's socket destroy, as `ss -K` does), and nothing stays: the clients may
 * reconnect at once. The matching fields are a blackhole's (the same words, the same 400s): the
 * peers (addresses, CIDRs, containers, compose services), the peers' ports and the target's own.
 */
export const resetFaultSchema = z.strictObject({
  kind: z.literal('reset'),
  target: targetSchema,
  /** Remote addresses, or containers / compose services resolved to theirs when armed. Absent: any but loopback. */
  peers: z
    .array(peerSchema)
    .min(1, 'peers must not be empty when given')
    .max(BLACKHOLE_MAX_PEERS, `at most ${BLACKHOLE_MAX_PEERS} peers`)
    .optional(),
  /** The peers' ports (a service the target calls, e.g. its database's). */
  ports: portListSchema('ports').optional(),
  /** The target's own ports (a service it offers). */
  localPorts: portListSchema('localPorts').optional(),
});

export type ResetFaultSpec = z.infer<typeof resetFaultSchema>;

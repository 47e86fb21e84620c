import { z } from 'zod';
import { composeProjectSchema, composeServiceSchema, containerNameSchema, targetSchema } from './target.schema';

/**
 * The blackhole fault: packets between the target and some peers are dropped (or refused) by
 * iptables rules in the target's network namespace. Every value ends up as an iptables word, so
 * each field accepts only numbers and IPv4 addresses: nothing a shell or iptables could read as
 * an option. Container and compose peers become addresses when the fault is armed (never words).
 */

/** iptables' multiport match takes at most 15 ports, a range counting as two. */
export const MULTIPORT_MAX = 15;

/** A port (5432) or an inclusive range ("8000-8100"). */
export const portSpecSchema = z.union(
  [
    z.number().int().min(1, 'ports are 1-65535').max(65535, 'ports are 1-65535'),
    z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, 'a port range is "FIRST-LAST", e.g. "8000-8100"')
      .superRefine((v, ctx) => {
        if (!/^\d{1,5}-\d{1,5}$/.test(v)) return; // the regex above said so
        const [a, b] = v.split('-').map(Number);
        if (a < 1 || b > 65535 || a >= b)
          ctx.addIssue({ code: 'custom', message: `"${v}": a range needs 1 <= FIRST < LAST <= 65535` });
      }),
  ],
  { error: 'ports are numbers 1-65535 or ranges "FIRST-LAST"' },
);

export const portListSchema = (field: string) =>
  z
    .array(portSpecSchema)
    .min(1, `${field} must not be empty when given`)
    .superRefine((v, ctx) => {
      const slots = v.reduce<number>((n, p) => n + (typeof p === 'string' ? 2 : 1), 0);
      if (slots > MULTIPORT_MAX)
        ctx.addIssue({
          code: 'custom',
          message: `at most ${MULTIPORT_MAX} ports per list, a range counting as two (iptables multiport)`,
        });
    });

const isIpv4OrCidr = (v: string) => z.cidrv4().safeParse(v).success || z.ipv4().safeParse(v).success;

/** An IPv4 address or CIDR; a bare address is the one host. */
const peerAddressSchema = z
  .string()
  .refine(
    isIpv4OrCidr,
    'peers are IPv4 addresses or CIDRs (e.g. "10.0.0.5", "10.0.0.0/8"); IPv6 is not supported yet; a container is {"container": "db"}',
  );

/** A container by name, or every replica of a compose service: their addresses on the networks shared with the target. */
const peerContainerSchema = z
  .strictObject({
    container: containerNameSchema.optional(),
    compose: z.strictObject({ project: composeProjectSchema, service: composeServiceSchema }).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.container === undefined) === (v.compose === undefined))
      ctx.addIssue({ code: 'custom', message: 'a peer object names exactly one of container or compose' });
  });

const PEER_FORMS =
  'a peer is an IPv4 address or CIDR, {"container": name} or {"compose": {"project": ..., "service": ...}}';

export const peerSchema = z.union([peerAddressSchema, peerContainerSchema], {
  // an object that fails its own shape (a missing service) would otherwise read only "invalid input"
  error: (issue) => {
    if (issue.code !== 'invalid_union') return undefined;
    const input = issue.input;
    const inner = input !== null && typeof input === 'object' ? issue.errors[1]?.[0] : undefined;
    return inner ? `${inner.path.join('.') || 'peer'}: ${inner.message}` : PEER_FORMS;
  },
});

export type BlackholePeer = z.infer<typeof peerSchema>;

/** How a peer is named in messages, the dry run and the lease. */
export function peerLabel(peer: BlackholePeer): string {
  if (typeof peer === 'string') return peer;
  if (peer.container !== undefined) return `container ${peer.container}`;
  return `compose ${peer.compose!.project}/${peer.compose!.service}`;
}

export const BLACKHOLE_MAX_PEERS = 16;

export const blackholeFaultSchema = z
  .strictObject({
    kind: z.literal('blackhole'),
    target: targetSchema,
    /** drop: silence (callers time out); reject: TCP reset for TCP, ICMP port-unreachable otherwise */
    action: z.enum(['drop', 'reject']).default('drop'),
    direction: z.enum(['egress', 'ingress', 'both']).default('both'),
    /**
     * Remote addresses (destination on egress, source on ingress), or containers / compose services
     * resolved to theirs when the fault is armed. Absent: any address.
     */
    peers: z
      .array(peerSchema)
      .min(1, 'peers must not be empty when given')
      .max(BLACKHOLE_MAX_PEERS, `at most ${BLACKHOLE_MAX_PEERS} peers`)
      .optional(),
    /** The peers' ports (a service the target calls): destination port on egress, source on ingress. */
    ports: portListSchema('ports').optional(),
    /** The target's own ports (a service it offers): source port on egress, destination on ingress. */
    localPorts: portListSchema('localPorts').optional(),
    protocol: z.enum(['tcp', 'udp', 'icmp', 'all']).default('all'),
    /**
     * At T0, right after the rules are in, the target's matching established TCP connections are
     * destroyed in its netns (`ss -K`): a pooled client fails at once instead of at its next new
     * connection. Needs the kernel's CONFIG_INET_DIAG_DESTROY (checked when armed).
     */
    resetEstablished: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    refineResetProtocol(v, ctx);
    const hasPorts = v.ports !== undefined || v.localPorts !== undefined;
    if (hasPorts && v.protocol === 'icmp')
      ctx.addIssue({
        code: 'custom',
        path: [v.ports !== undefined ? 'ports' : 'localPorts'],
        message: 'ports cannot be combined with protocol icmp',
      });
    if (v.direction === 'both' && v.peers === undefined && !hasPorts)
      ctx.addIssue({
        code: 'custom',
        path: ['peers'],
        message:
          'too broad: direction "both" with no peers, ports or localPorts cuts the target off from everything; name the peers or ports to blackhole (or use a container fault)',
      });
    v.peers?.forEach((p, i) => {
      // the jump rules skip the loopback interface: such a peer would never match
      if (typeof p === 'string' && /^127\./.test(p))
        ctx.addIssue({
          code: 'custom',
          path: ['peers', i],
          message: `${p} is loopback: a blackhole never touches the target's loopback traffic`,
        });
    });
  });

export type BlackholeFaultSpec = z.infer<typeof blackholeFaultSchema>;

/** resetEstablished destroys TCP connections: refused (naming the field) with a UDP- or ICMP-only rule. */
export function refineResetProtocol(
  v: { resetEstablished?: boolean; protocol: 'tcp' | 'udp' | 'icmp' | 'all' },
  ctx: z.RefinementCtx,
): void {
  if (v.resetEstablished && (v.protocol === 'udp' || v.protocol === 'icmp'))
    ctx.addIssue({
      code: 'custom',
      path: ['resetEstablished'],
      message: `resetEstablished tears down TCP connections: it needs protocol "tcp" or "all", not "${v.protocol}"`,
    });
}

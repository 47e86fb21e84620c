import type { ResolvedPeer } from './blackhole-peers';
import { blackholeResetArgv } from './blackhole-reset';
import { canonicalIpv4Cidr } from './blackhole.compiler';
import type { ResetFaultSpec } from './reset.schema';

export interface CompiledReset {
  /** the one step: `ss -K …` (the helper's timer does it through sock_diag at T0) */
  argv: string[];
  /** each peer as named and its addresses (resolved when armed) */
  peers?: ResolvedPeer[];
  warnings: string[];
}

/**
 * Reset spec → its one argv. Container and compose peers must come resolved; a peer resolved to
 * no address is refused (never a filter that matches every peer).
 */
export function compileReset(spec: ResetFaultSpec, resolved?: ResolvedPeer[]): CompiledReset {
  const peers =
    spec.peers &&
    (resolved ??
      spec.peers.map((p) => {
        if (typeof p !== 'string') throw new Error('container and compose peers must be resolved to addresses first');
        return { peer: p, addresses: [p] };
      }));
  const empty = peers?.find((p) => p.addresses.length === 0);
  if (peers && (peers.length === 0 || empty))
    throw new Error(
      `${empty ? `peer ${empty.peer}` : 'the peers'} resolve to no address: refusing a reset of every peer`,
    );
  const cidrs = peers && [
    ...new Set(peers.flatMap((p) => p.addresses.map(canonicalIpv4Cidr)).filter((c) => !c.endsWith('/0'))),
  ];
  return {
    argv: blackholeResetArgv(spec, cidrs),
    ...(peers ? { peers } : {}),
    warnings: spec.peers ? [] : ['no peers: every established TCP connection of the target matches (but loopback)'],
  };
}

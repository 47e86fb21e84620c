import { peerLabel, type BlackholePeer } from './blackhole.schema';
import type { TargetSpec } from './target.schema';
import { matchesTarget, ROLE_LABEL, type ContainerCandidate } from './target-selection';

/**
 * Container and compose peers of a blackhole → the IPv4 addresses the rules name. Pure: the
 * driver inspects the target and the candidates (docker inspect), this decides. A peer need not
 * have opted in (nothing is done to it), but GameDay's own containers are never peers, and a peer
 * that resolves to no address is an error, never a rule without an address (which matches all).
 */

/** One network a container is attached to, as `docker inspect` shows it. */
export interface PeerNetwork {
  id: string;
  name: string;
  /** empty or absent while the container is stopped */
  ipv4?: string;
}

/** A possible peer container: for `--network container:X`, netnsKey and networks are X's. */
export type PeerCandidate = ContainerCandidate & { networks: PeerNetwork[] };

/** The target as peers are judged against: its network namespace and its networks. */
export interface PeerTargetView {
  name: string;
  netnsKey: string;
  networks: PeerNetwork[];
}

/** A peer as it ends up in the rules, the dry run and the lease: its name and its addresses. */
export interface ResolvedPeer {
  peer: string;
  addresses: string[];
}

export interface PeerResolution {
  peers: ResolvedPeer[];
  /** why a peer cannot be used: arming refuses the fault, a dry run shows them as warnings */
  problems: string[];
  /** replicas left out (stopped, the target itself, no shared network): shown, not refused */
  notes: string[];
}

/** A compose service scaled far would make hundreds of rules: bounded like the peers themselves. */
export const BLACKHOLE_MAX_ADDRESSES = 64;

/** The target spec a peer object names, so the target's own matching rules apply to peers too. */
export function peerAsTarget(peer: Exclude<BlackholePeer, string>): TargetSpec {
  return peer.container !== undefined
    ? { container: peer.container, selection: { mode: 'all' } }
    : { compose: peer.compose, selection: { mode: 'all' } };
}

function roleOf(c: PeerCandidate): { name: string; value: string } | undefined {
  if (c.labels[ROLE_LABEL] !== undefined) return { name: c.name, value: c.labels[ROLE_LABEL] };
  if (c.netnsOwner?.labels[ROLE_LABEL] !== undefined)
    return { name: c.netnsOwner.name, value: c.netnsOwner.labels[ROLE_LABEL] };
  return undefined;
}

function addressesOf(
  c: PeerCandidate,
  target: PeerTargetView,
): { addresses: string[]; note?: string; refusal?: string } {
  const role = roleOf(c);
  if (role)
    return {
      addresses: [],
      refusal: `${c.name} belongs to the GameDay service (${role.name} has label ${ROLE_LABEL}=${role.value}): it is never a peer`,
    };
  if (c.netnsKey === target.netnsKey)
    return { addresses: [], note: `${c.name} is the target itself (its network namespace): left out` };
  if (!c.running) return { addresses: [], note: `${c.name} is not running: left out` };
  if (c.networkMode === 'host')
    return { addresses: [], note: `${c.name} uses the host network: name the host's address instead` };
  const shared = new Set(target.networks.map((n) => n.id));
  const addresses = c.networks.filter((n) => shared.has(n.id) && n.ipv4).map((n) => n.ipv4!);
  if (addresses.length === 0)
    return {
      addresses: [],
      note: `${c.name} shares no network with ${target.name} (it is on ${c.networks.map((n) => n.name).join(', ') || 'none'}): left out`,
    };
  return { addresses };
}

/**
 * Resolves each peer: an address or CIDR stays as given; a container or compose service becomes
 * the IPv4 addresses of its running containers on the networks it shares with the target.
 * `candidates[i]` holds what the engine listed for `peers[i]` (unused for address peers).
 */
export function resolveBlackholePeers(
  peers: BlackholePeer[],
  target: PeerTargetView,
  candidates: PeerCandidate[][],
): PeerResolution {
  const resolved: ResolvedPeer[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  peers.forEach((peer, i) => {
    const label = peerLabel(peer);
    if (typeof peer === 'string') {
      resolved.push({ peer: label, addresses: [peer] });
      return;
    }
    const spec = peerAsTarget(peer);
    const matching = (candidates[i] ?? []).filter((c) => matchesTarget(c, spec));
    const found = new Set<string>();
    const why: string[] = [];
    for (const c of [...matching].sort((a, b) => a.name.localeCompare(b.name))) {
      const r = addressesOf(c, target);
      if (r.refusal) problems.push(`peers.${i}: ${label}: ${r.refusal}`);
      if (r.note) why.push(r.note);
      r.addresses.forEach((a) => found.add(a));
    }
    const addresses = [...found].sort(compareIpv4);
    if (addresses.length === 0) {
      const detail = matching.length === 0 ? 'no container matches' : why.join('; ');
      if (!problems.some((p) => p.startsWith(`peers.${i}:`)))
        problems.push(`peers.${i}: ${label} resolves to no address (${detail})`);
    } else notes.push(...why.map((w) => `${label}: ${w}`));
    resolved.push({ peer: label, addresses });
  });
  const total = new Set(resolved.flatMap((r) => r.addresses)).size;
  if (total > BLACKHOLE_MAX_ADDRESSES)
    problems.push(`peers: ${total} addresses, at most ${BLACKHOLE_MAX_ADDRESSES} (name fewer or narrower peers)`);
  return { peers: resolved, problems, notes };
}

function compareIpv4(a: string, b: string): number {
  const n = (s: string) => s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}

/** Arming refuses a fault whose peers cannot all be resolved: nothing was applied. */
export class PeerResolutionError extends Error {
  constructor(
    readonly problems: string[],
    readonly engine: string,
  ) {
    super(`blackhole peers on engine ${engine}: ${problems.join('; ')}; nothing was applied`);
    this.name = 'PeerResolutionError';
  }
}

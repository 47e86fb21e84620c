import type { ResolvedPeer } from './blackhole-peers';
import { blackholeResetArgv } from './blackhole-reset';
import type { BlackholeFaultSpec } from './blackhole.schema';
import type { VerifyOutcome } from './qdisc-verify';

/**
 * Blackhole spec → iptables argv, run in the target's network namespace (filter table only).
 * Every rule lives in chains of our own (`GAMEDAY-<id>-OUT` / `-IN`), jumped to from OUTPUT /
 * INPUT by one rule each that carries the comment `gameday:<id>`: revert removes exactly those and
 * nothing else (Docker's own rules in the netns, e.g. its embedded DNS in the nat table, are never
 * touched). The loopback interface is skipped, so the target keeps Docker's DNS at 127.0.0.11.
 */

/** legacy: the kernel's x_tables (the only choice where IPv4 nf_tables is missing); nft otherwise */
export const IPTABLES_TOOLS = ['iptables-legacy', 'iptables-nft'] as const;
export type IptablesTool = (typeof IPTABLES_TOOLS)[number];

/** A fault's id in its chain names and comment: 8 hex digits, drawn at arming. */
export const BLACKHOLE_ID = /^[0-9a-f]{8}$/;
export const BLACKHOLE_CHAIN = /^GAMEDAY-[0-9a-f]{8}-(IN|OUT)$/;
export const BLACKHOLE_COMMENT = /^gameday:[0-9a-f]{8}$/;

export interface BlackholeExpected {
  tool: IptablesTool;
  chains: string[];
  /** The lines `iptables -S` prints for what we added (double quotes removed), in order. */
  lines: string[];
  /** resetEstablished: the helper destroys the matching established connections right after T0 */
  reset?: boolean;
}

export interface CompiledBlackhole {
  id: string;
  tool: IptablesTool;
  chains: string[];
  /** chains and rules first, then the jumps (the fault lands with them), then the reset if asked */
  apply: string[][];
  /** each apply step's inverse (undone newest first: the jumps leave before the chains go) */
  undo: (string[] | null)[];
  revert: string[][];
  verify: string[][];
  expected: BlackholeExpected;
  /** each peer as named and the addresses the rules use for it (resolved when armed) */
  peers?: ResolvedPeer[];
  warnings: string[];
}

interface Direction {
  chain: string;
  hook: 'OUTPUT' | 'INPUT';
  iface: '-o' | '-i';
  peer: '-d' | '-s';
  /** multiport flag for the peers' ports / the target's own ports */
  remotePorts: '--dports' | '--sports';
  localPorts: '--dports' | '--sports';
}

function directions(spec: BlackholeFaultSpec, id: string): Direction[] {
  const out: Direction[] = [];
  if (spec.direction !== 'ingress')
    out.push({
      chain: `GAMEDAY-${id}-OUT`,
      hook: 'OUTPUT',
      iface: '-o',
      peer: '-d',
      remotePorts: '--dports',
      localPorts: '--sports',
    });
  if (spec.direction !== 'egress')
    out.push({
      chain: `GAMEDAY-${id}-IN`,
      hook: 'INPUT',
      iface: '-i',
      peer: '-s',
      remotePorts: '--sports',
      localPorts: '--dports',
    });
  return out;
}

/** "10.1.2.3/8" → "10.0.0.0/8", "10.0.0.5" → "10.0.0.5/32": what iptables prints back. */
export function canonicalIpv4Cidr(text: string): string {
  const [addr, bitsText] = text.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`;
}

/** [5432, "8000-8100"] → "5432,8000:8100" (multiport's syntax). */
function multiport(ports: (number | string)[]): string {
  return ports.map((p) => String(p).replace('-', ':')).join(',');
}

/** Per rule: the protocol matched (undefined: any) and the target with its options. */
function protocolRules(spec: BlackholeFaultSpec): { proto?: string; target: string[] }[] {
  const drop = ['-j', 'DROP'];
  const reset = ['-j', 'REJECT', '--reject-with', 'tcp-reset'];
  const unreachable = ['-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'];
  const reject = spec.action === 'reject';
  const hasPorts = spec.ports !== undefined || spec.localPorts !== undefined;
  switch (spec.protocol) {
    case 'tcp':
      return [{ proto: 'tcp', target: reject ? reset : drop }];
    case 'udp':
    case 'icmp':
      return [{ proto: spec.protocol, target: reject ? unreachable : drop }];
    case 'all':
      // ports exist only for TCP and UDP; an unrestricted reject answers TCP with a reset first
      if (hasPorts)
        return [
          { proto: 'tcp', target: reject ? reset : drop },
          { proto: 'udp', target: reject ? unreachable : drop },
        ];
      return reject ? [{ proto: 'tcp', target: reset }, { target: unreachable }] : [{ target: drop }];
  }
}

/**
 * The peers' addresses: as given for IPv4/CIDR peers; container and compose peers must come
 * resolved (`resolved`, from resolveBlackholePeers). Never empty when peers are named: a rule
 * without an address would match every peer.
 */
function peerAddresses(spec: BlackholeFaultSpec, resolved?: ResolvedPeer[]): ResolvedPeer[] | undefined {
  if (spec.peers === undefined) return undefined;
  const peers =
    resolved ??
    spec.peers.map((p) => {
      if (typeof p !== 'string') throw new Error('container and compose peers must be resolved to addresses first');
      return { peer: p, addresses: [p] };
    });
  const empty = peers.find((p) => p.addresses.length === 0);
  if (peers.length === 0 || empty)
    throw new Error(
      `${empty ? `peer ${empty.peer}` : 'the peers'} resolve${empty ? 's' : ''} to no address: refusing a rule that would match every peer`,
    );
  return peers;
}

export function compileBlackhole(
  spec: BlackholeFaultSpec,
  options: { id: string; tool: IptablesTool; peers?: ResolvedPeer[] },
): CompiledBlackhole {
  const { id, tool } = options;
  if (!BLACKHOLE_ID.test(id)) throw new Error(`blackhole id must be 8 hex digits, got ${JSON.stringify(id)}`);
  if (!IPTABLES_TOOLS.includes(tool)) throw new Error(`unknown iptables tool ${JSON.stringify(tool)}`);
  const ipt = (...words: string[]) => [tool, '-w', ...words];
  const comment = `gameday:${id}`;
  const resolved = peerAddresses(spec, options.peers);
  // a /0 peer is "any address", which iptables prints as no address at all
  const peers = resolved && [
    ...new Set(resolved.flatMap((p) => p.addresses.map(canonicalIpv4Cidr)).filter((p) => !p.endsWith('/0'))),
  ];
  const peerList = peers && peers.length > 0 ? peers : [undefined];
  const protos = protocolRules(spec);
  const dirs = directions(spec, id);

  const apply: string[][] = [];
  const undo: (string[] | null)[] = [];
  const lines: string[] = [];
  const jumps: { apply: string[]; undo: string[]; line: string }[] = [];
  for (const d of dirs) {
    apply.push(ipt('-N', d.chain));
    undo.push(ipt('-X', d.chain));
    lines.push(`-N ${d.chain}`);
    // rejecting both ways: the reset or unreachable our INPUT chain answers with leaves through
    // OUTPUT, where the peer's own rule would swallow it (the peer would time out, not be refused)
    if (d.hook === 'OUTPUT' && spec.action === 'reject' && spec.direction === 'both')
      for (const rule of [
        ['-p', 'tcp', '-m', 'tcp', '--tcp-flags', 'RST', 'RST', '-j', 'RETURN'],
        ['-p', 'icmp', '-m', 'icmp', '--icmp-type', '3/3', '-j', 'RETURN'],
      ]) {
        apply.push(ipt('-A', d.chain, ...rule));
        undo.push(ipt('-F', d.chain));
        lines.push(['-A', d.chain, ...rule].join(' '));
      }
    for (const peer of peerList)
      for (const { proto, target } of protos) {
        // the order iptables -S prints them in: addresses, protocol, matches, target
        const rule = [
          ...(peer ? [d.peer, peer] : []),
          ...(proto ? ['-p', proto] : []),
          ...(spec.ports ? ['-m', 'multiport', d.remotePorts, multiport(spec.ports)] : []),
          ...(spec.localPorts ? ['-m', 'multiport', d.localPorts, multiport(spec.localPorts)] : []),
          ...target,
        ];
        apply.push(ipt('-A', d.chain, ...rule));
        // flushing the chain is idempotent: every rule's undo is the same
        undo.push(ipt('-F', d.chain));
        lines.push(['-A', d.chain, ...rule].join(' '));
      }
    const jump = ['!', d.iface, 'lo', '-m', 'comment', '--comment', comment, '-j', d.chain];
    jumps.push({
      apply: ipt('-I', d.hook, '1', ...jump),
      undo: ipt('-D', d.hook, ...jump),
      line: ['-A', d.hook, ...jump].join(' '),
    });
  }
  for (const j of jumps) {
    apply.push(j.apply);
    undo.push(j.undo);
    lines.push(j.line);
  }
  // last, once no new connection can be made: nothing to undo (a destroyed socket stays closed)
  if (spec.resetEstablished) {
    apply.push(blackholeResetArgv(spec, peers));
    undo.push(null);
  }
  const chains = dirs.map((d) => d.chain);
  const warnings: string[] = [];
  if (!spec.peers) warnings.push('no peers: every IPv4 peer matches (IPv6 traffic is not blackholed)');
  return {
    id,
    tool,
    chains,
    apply,
    undo,
    revert: [...jumps.map((j) => j.undo), ...chains.flatMap((c) => [ipt('-F', c), ipt('-X', c)])],
    verify: [ipt('-t', 'filter', '-S')],
    expected: { tool, chains, lines, ...(spec.resetEstablished ? { reset: true } : {}) },
    ...(resolved ? { peers: resolved } : {}),
    warnings,
  };
}

/** `iptables -S` lines, double quotes removed (iptables quotes comments; we compare words). */
function ruleLines(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.replace(/"/g, '').trim())
    .filter((l) => l.length > 0);
}

function mentionsOurs(line: string, chains: string[]): boolean {
  return line.split(' ').some((w) => chains.includes(w));
}

/**
 * Compares `iptables -S` of the filter table with what the fault added: every line of ours in
 * place, in its order, and nothing else in our chains or jumping to them.
 */
export function verifyBlackhole(expected: BlackholeExpected, output: string): VerifyOutcome {
  const ours = ruleLines(output).filter((l) => mentionsOurs(l, expected.chains));
  const reasons: string[] = [];
  for (const line of expected.lines) if (!ours.includes(line)) reasons.push(`missing: ${line}`);
  for (const line of ours) if (!expected.lines.includes(line)) reasons.push(`unexpected: ${line}`);
  for (const chain of expected.chains) {
    const want = expected.lines.filter((l) => l.startsWith(`-A ${chain} `));
    const got = ours.filter((l) => l.startsWith(`-A ${chain} `));
    if (reasons.length === 0 && want.join('\n') !== got.join('\n'))
      reasons.push(`the rules of ${chain} are out of order: ${got.join(' | ')}`);
  }
  return reasons.length ? { ok: false, reasons } : { ok: true };
}

/** After a revert: none of our chains, rules or jumps is left. */
export function verifyBlackholeReverted(expected: BlackholeExpected, output: string): VerifyOutcome {
  const left = ruleLines(output).filter((l) => mentionsOurs(l, expected.chains));
  return left.length ? { ok: false, reasons: left.map((l) => `left behind: ${l}`) } : { ok: true };
}

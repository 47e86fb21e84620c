import type { ScopeRule } from './network.schema';

/** tc u32 matches for the peers, protocols and ports a network fault is scoped to. */

export type Family = 'ip' | 'ipv6';

export function familyOf(cidr: string): Family {
  return cidr.includes(':') ? 'ipv6' : 'ip';
}

export function withPrefix(cidr: string): string {
  if (cidr.includes('/')) return cidr;
  return familyOf(cidr) === 'ip' ? `${cidr}/32` : `${cidr}/128`;
}

/** Loopback traffic never leaves through a real device, so excluding it needs no filter. */
export function isLoopback(cidr: string): boolean {
  const c = withPrefix(cidr).toLowerCase();
  return c.startsWith('127.') || c === '::1/128';
}

const PROTOCOL_NUMBER: Record<'tcp' | 'udp' | 'icmp', Record<Family, number>> = {
  tcp: { ip: 6, ipv6: 6 },
  udp: { ip: 17, ipv6: 17 },
  icmp: { ip: 1, ipv6: 58 },
};

export interface FilterMatch {
  family: Family;
  matches: string[];
}

/**
 * One rule → u32 filters. Fields inside a rule are AND'ed: each filter carries every field's
 * match. Values inside one field are OR'ed: one filter per combination. A family with no
 * address in the rule gets no filter (a rule for 10.0.0.0/8 never touches IPv6).
 */
export function ruleFilters(rule: ScopeRule, peer: 'src' | 'dst'): FilterMatch[] {
  const byFamily = new Map<Family, (string | undefined)[]>();
  if (rule.destinations) {
    for (const d of rule.destinations) {
      const fam = familyOf(d);
      byFamily.set(fam, [...(byFamily.get(fam) ?? []), withPrefix(d)]);
    }
  } else {
    byFamily.set('ip', [undefined]);
    byFamily.set('ipv6', [undefined]);
  }
  const out: FilterMatch[] = [];
  for (const [family, addrs] of byFamily) {
    const sel = family === 'ip' ? 'ip' : 'ip6';
    for (const addr of addrs) {
      for (const port of rule.ports ?? [undefined]) {
        const matches: string[] = [];
        if (addr !== undefined) matches.push('match', sel, peer, addr);
        if (rule.protocol !== undefined)
          matches.push('match', sel, 'protocol', String(PROTOCOL_NUMBER[rule.protocol][family]), '0xff');
        if (port !== undefined) matches.push('match', sel, peer === 'dst' ? 'dport' : 'sport', String(port), '0xffff');
        out.push({ family, matches });
      }
    }
  }
  return out;
}

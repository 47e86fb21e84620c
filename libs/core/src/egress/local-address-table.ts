import { type Cidr, parseCidr } from './ip-address';

/**
 * Linux's own tables of what it delivers locally, parsed (the I/O layer reads the files). Pure.
 *
 * Why these and not the interface list: Node's os.networkInterfaces() leaves out interfaces that
 * are down, yet the kernel delivers their IPv4 addresses locally all the same (docker0 before its
 * first container, a bridge added without `ip link set up`): a connection to 172.17.0.1:PORT
 * reaches GameDay's API while docker0 is down. The IPv4 local routing table has them all, with
 * any "local" range routed to this host (`ip route add local 10.9.0.0/24 dev lo`) besides.
 */

function hexToIpv6(hex: string): string | undefined {
  if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
  return hex.match(/.{4}/g)!.join(':');
}

/**
 * /proc/net/fib_trie: every prefix of type LOCAL (in the Local table, which the file lists with
 * Main), e.g. "|-- 172.17.0.1" followed by "/32 host LOCAL", or 127.0.0.0 with "/8 host LOCAL".
 */
export function localRangesFromFibTrie(text: string): Cidr[] {
  const ranges: Cidr[] = [];
  let leaf: string | undefined;
  for (const line of text.split('\n')) {
    const node = /^\s*\|--\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (node) {
      leaf = node[1];
      continue;
    }
    const prefix = /^\s*\/(\d+)\s+\S+\s+(\S+)/.exec(line);
    if (prefix && leaf && prefix[2] === 'LOCAL') {
      const cidr = parseCidr(`${leaf}/${prefix[1]}`);
      if (cidr) ranges.push(cidr);
    } else if (!prefix) leaf = undefined;
  }
  return ranges;
}

/**
 * /proc/net/if_inet6: every IPv6 address assigned to an interface, up or down ("fd00…0002 04 40
 * 00 82 eth0": address, interface index, prefix length, scope, flags, name).
 */
export function addressesFromIfInet6(text: string): Cidr[] {
  return text.split('\n').flatMap((line) => {
    const text6 = hexToIpv6(line.trim().split(/\s+/)[0] ?? '');
    const cidr = text6 && parseCidr(`${text6}/128`);
    return cidr ? [cidr] : [];
  });
}

const RTF_LOCAL = 0x80000000;
const RTF_ANYCAST = 0x00100000;

/**
 * /proc/net/ipv6_route: routes the kernel delivers locally (RTF_LOCAL, and RTF_ANYCAST for the
 * subnet-router anycast addresses), as prefixes: "dest len src len next-hop metric refcnt use
 * flags device", numbers in hex.
 */
export function localRangesFromIpv6Route(text: string): Cidr[] {
  return text.split('\n').flatMap((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) return [];
    const flags = parseInt(f[8], 16);
    if (!(flags & RTF_LOCAL) && !(flags & RTF_ANYCAST)) return [];
    const dest = hexToIpv6(f[0]);
    const cidr = dest && parseCidr(`${dest}/${parseInt(f[1], 16)}`);
    return cidr ? [cidr] : [];
  });
}

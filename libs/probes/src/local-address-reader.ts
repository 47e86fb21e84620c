import {
  addressesFromIfInet6,
  type Cidr,
  type LocalAddresses,
  localRangesFromFibTrie,
  localRangesFromIpv6Route,
  parseCidr,
  systemClock,
} from '@gameday/core';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';

/** How long one read of this host's addresses is used: new addresses count within this. */
export const LOCAL_ADDRESSES_TTL_MS = 1_000;

/** Reads a /proc file; an IPv6 one that does not exist (IPv6 disabled) is empty. */
async function procFile(path: string, ipv6 = false): Promise<string> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (ipv6 && error.code === 'ENOENT') return '';
    throw error;
  });
}

/**
 * This host's addresses as the kernel sees them now (libs/core's local-address-table says why
 * the interface list alone is not enough), united with the interface list. Where the kernel's
 * tables cannot be read (not Linux, a locked-down /proc) the answer is incomplete and the policy
 * then counts every non-public address as local: refusing GameDay's own ports on a private
 * address that is someone else's is a probe to fix, missing one of ours is the API reached with
 * the operator's request.
 */
export async function readLocalAddresses(): Promise<LocalAddresses> {
  const listed = Object.values(networkInterfaces())
    .flat()
    .flatMap((a) => {
      const cidr = a && parseCidr(a.address.replace(/%.*$/, ''));
      return cidr ? [cidr] : [];
    });
  try {
    const [fib, inet6, route6] = await Promise.all([
      procFile('/proc/net/fib_trie'),
      procFile('/proc/net/if_inet6', true),
      procFile('/proc/net/ipv6_route', true),
    ]);
    const ranges: Cidr[] = [
      ...localRangesFromFibTrie(fib),
      ...addressesFromIfInet6(inet6),
      ...localRangesFromIpv6Route(route6),
    ];
    return { ranges: [...ranges, ...listed], complete: ranges.length > 0 };
  } catch {
    return { ranges: listed, complete: false };
  }
}

/**
 * readLocalAddresses, read at most once per `ttlMs` (concurrent callers share one read): the
 * decision is made when each request is sent, from a read never older than that.
 */
export function cachedLocalAddresses(
  read: () => Promise<LocalAddresses> = readLocalAddresses,
  ttlMs = LOCAL_ADDRESSES_TTL_MS,
): () => Promise<LocalAddresses> {
  let current: { at: number; read: Promise<LocalAddresses> } | undefined;
  return () => {
    const now = systemClock.monotonicMs();
    if (!current || now - current.at >= ttlMs) current = { at: now, read: read() };
    return current.read;
  };
}

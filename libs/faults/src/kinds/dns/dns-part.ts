import type { CompiledDns, DnsExpected, FaultLease, PreparedFault } from '@gameday/core';
import { armedPart, kindPart } from '../kind-part';

/** What a dns fault arms: the resolver's configuration and the nat rules, for the variant and port probed. */
export type DnsArmed = CompiledDns;

/** A dns fault's part of its lease: the iptables variant, our nat chain and its lines, the resolver's port. */
export interface DnsLeasePart {
  dns: DnsExpected;
}

export const dnsArmed = (prepared: Pick<PreparedFault, 'armed'>): DnsArmed =>
  armedPart<DnsArmed>(prepared, 'a dns fault prepared without its rules');

export const dnsPart = (lease: Pick<FaultLease, 'details'>) => kindPart<DnsLeasePart>(lease);

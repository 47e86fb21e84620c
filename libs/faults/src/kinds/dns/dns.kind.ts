import { randomBytes } from 'node:crypto';
import { compileDns, DNS_PORT_MIN, type DnsFaultSpec, type LeaseDetails, type PreparedFault } from '@gameday/core';
import { applyNowViaHelper } from '../../engine/helper-handover';
import { revertInNetns } from '../../engine/netns-revert';
import type { FaultKind } from '../fault-kind';
import { helperCapabilities, helperSchedule } from '../helper-clock';
import { armDns, DNS_HELPER_CAPS } from './dns-arm';
import { dnsArmed, type DnsArmed, type DnsLeasePart } from './dns-part';
import { confirmDnsReverted, verifyDnsLease } from './dns-verify';

const rulesDetails = (prepared: PreparedFault<DnsArmed>): LeaseDetails<DnsLeasePart> => ({
  kindPart: { dns: dnsArmed(prepared).expected },
  warnings: dnsArmed(prepared).warnings,
});

/**
 * DNS faults: a resolver (dnsdist) the dns helper runs in the target's netns answers the matching
 * names as asked and forwards the rest to the target's nameservers; iptables nat rules in a chain
 * of our own send the target's queries to it. The resolver starts when the fault is armed; the
 * helper puts the rules in at T0 and takes them out (and stops the resolver) at T1 by its own
 * clock. Verify reads the nat table and the resolver back.
 */
export const dnsKind: FaultKind<DnsFaultSpec, DnsArmed, DnsLeasePart> = {
  name: 'dns',
  // one netns, one nat table and one resolver: two containers sharing it are one target
  dedupeNetns: true,
  capabilities: () => helperCapabilities(),

  dryRunTarget(_engine, spec, target) {
    // the id, port, nameservers and variant are found when the fault is armed
    const compiled = compileDns(spec, {
      id: randomBytes(4).toString('hex'),
      tool: 'iptables-legacy',
      port: DNS_PORT_MIN,
      nameservers: ['127.0.0.11'],
    });
    return {
      target,
      strategy: 'sidecar',
      runner: ['docker', 'exec', `<dns helper in netns of ${target.containerName}>`],
      apply: [compiled.start, ...compiled.apply],
      verify: compiled.verify,
      revert: compiled.revert,
      warnings: [
        ...compiled.warnings,
        `the first command starts the resolver when the fault is armed (its configuration:\n${compiled.config})`,
        "the chain id and the resolver's port are drawn when armed; the nameservers are read from the target's /etc/resolv.conf then (shown: Docker's embedded DNS); iptables-nft replaces iptables-legacy where Docker's nat rules are in nf_tables",
      ],
    };
  },

  prepare: armDns,

  draftLease(prepared) {
    const compiled = dnsArmed(prepared);
    return {
      kind: 'dns',
      handle: compiled.expected.chain,
      applyArgv: compiled.apply,
      verifyArgv: compiled.verify,
      revertArgv: compiled.revert,
      details: {
        ...rulesDetails(prepared),
        selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
        clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
      },
    };
  },

  async apply(engine, prepared, lease) {
    await engine.assertArmedNetns(lease);
    return applyNowViaHelper(engine, prepared, dnsArmed(prepared));
  },
  // a failed step is rolled back by the helper itself: nothing else is known
  nothingApplied: () => false,
  schedule: helperSchedule({ steps: dnsArmed, details: rulesDetails }),
  verify: verifyDnsLease,
  revert: (engine, lease, reason) =>
    revertInNetns(engine, lease, reason, {
      confirmReverted: confirmDnsReverted,
      helperCaps: DNS_HELPER_CAPS,
      helperJoins: 'dns',
    }),
};

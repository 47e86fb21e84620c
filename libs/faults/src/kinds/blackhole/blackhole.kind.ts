import { randomBytes } from 'node:crypto';
import { compileBlackhole, type BlackholeFaultSpec } from '@gameday/core';
import type { FaultKind } from '../fault-kind';
import { helperCapabilities } from '../helper-clock';
import { armBlackhole, resolvePeers } from './blackhole-arm';
import { blackholeActions, blackholeLeasePart } from './blackhole-lease';
import type { BlackholeArmed, BlackholeDryRunPart, BlackholeLeasePart } from './blackhole-part';

/**
 * Blackholes (drop or reject traffic with some peers or on some ports) through iptables rules in
 * chains of our own in the target's network namespace. The sidecar helper applies them at T0 and
 * removes them at T1 by its own clock; verify reads the filter table back.
 */
export const blackholeKind: FaultKind<BlackholeFaultSpec, BlackholeArmed, BlackholeLeasePart, BlackholeDryRunPart> = {
  name: 'blackhole',
  // one netns, one filter table: two containers sharing it are one target
  dedupeNetns: true,
  capabilities: () => helperCapabilities(),

  async dryRunTarget(engine, spec, target) {
    const peers = await resolvePeers(engine, spec, target);
    const runner = ['docker', 'exec', `<helper in netns of ${target.containerName}>`];
    const problems = (peers?.problems ?? []).map((p) => `arming would refuse this fault: ${p}`);
    const usable = peers?.peers.filter((p) => p.addresses.length > 0);
    if (usable?.length === 0)
      // never a rule without an address: it would match every peer
      return {
        target,
        strategy: 'sidecar',
        runner,
        apply: [],
        verify: [],
        revert: [],
        peers: peers!.peers,
        warnings: problems,
      };
    // the id and the variant are chosen when the fault is armed; everything else is as shown
    const compiled = compileBlackhole(spec, {
      id: randomBytes(4).toString('hex'),
      tool: 'iptables-legacy',
      peers: usable,
    });
    return {
      target,
      strategy: 'sidecar',
      runner,
      apply: compiled.apply,
      verify: compiled.verify,
      revert: compiled.revert,
      ...(peers ? { peers: peers.peers } : {}),
      warnings: [
        ...problems,
        ...compiled.warnings,
        ...(peers?.notes ?? []),
        'the chain id is drawn when the fault is armed; iptables-nft replaces iptables-legacy where the kernel has no legacy x_tables',
        ...(peers
          ? [
              'container and compose peers are resolved again when the fault is armed: an address that changes before T0 is not followed',
            ]
          : []),
      ],
    };
  },

  prepare: armBlackhole,

  draftLease: (prepared) => blackholeLeasePart('blackhole', prepared),
  ...blackholeActions<BlackholeFaultSpec>(),
};

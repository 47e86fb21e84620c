import { randomBytes } from 'node:crypto';
import { compileBlackhole, type BlackholeFaultSpec } from '@gameday/core';
import { applyNowViaHelper, handOverSchedule } from '../../engine/helper-handover';
import { revertInNetns } from '../../engine/netns-revert';
import type { FaultKind } from '../fault-kind';
import { armBlackhole, BLACKHOLE_HELPER_CAPS } from './blackhole-arm';
import { confirmBlackholeReverted, verifyBlackholeLease } from './blackhole-verify';

/**
 * Blackholes (drop or reject traffic with some peers or on some ports) through iptables rules in
 * chains of our own in the target's network namespace. The sidecar helper applies them at T0 and
 * removes them at T1 by its own clock; verify reads the filter table back.
 */
export const blackholeKind: FaultKind<BlackholeFaultSpec> = {
  name: 'blackhole',
  // one netns, one filter table: two containers sharing it are one target
  dedupeNetns: true,
  capabilities: () => ({ clock: 'helper', verifiable: true, reverify: true }),

  dryRunTarget(_engine, spec, target) {
    // the id and the variant are chosen when the fault is armed; everything else is as shown
    const compiled = compileBlackhole(spec, { id: randomBytes(4).toString('hex'), tool: 'iptables-legacy' });
    return {
      target,
      strategy: 'sidecar',
      runner: ['docker', 'exec', `<helper in netns of ${target.containerName}>`],
      apply: compiled.apply,
      verify: compiled.verify,
      revert: compiled.revert,
      warnings: [
        ...compiled.warnings,
        'the chain id is drawn when the fault is armed; iptables-nft replaces iptables-legacy where the kernel has no legacy x_tables',
      ],
    };
  },

  prepare: armBlackhole,

  draftLease(prepared) {
    const compiled = prepared.blackhole!;
    return {
      kind: 'blackhole',
      handle: `GAMEDAY-${compiled.id}`,
      applyArgv: compiled.apply,
      verifyArgv: compiled.verify,
      revertArgv: compiled.revert,
      details: {
        blackhole: compiled.expected,
        warnings: compiled.warnings,
        selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
        clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
      },
    };
  },

  async apply(engine, prepared, lease) {
    await engine.assertArmedNetns(lease);
    return applyNowViaHelper(engine, prepared, prepared.blackhole!);
  },

  // a failed step is rolled back by the helper itself (FaultStepError.rolledBack): nothing else is known
  nothingApplied: () => false,

  schedule: {
    details: (prepared, at, expireAt) => ({
      blackhole: prepared.blackhole!.expected,
      warnings: prepared.blackhole!.warnings,
      applyAt: at.applyAt.toISOString(),
      revertAt: at.revertAt.toISOString(),
      selfExpiryAt: new Date(expireAt).toISOString(),
      clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
    }),
    handOver: (engine, prepared, at, expireAt) => handOverSchedule(engine, prepared, prepared.blackhole!, at, expireAt),
  },

  verify: (engine, lease) => verifyBlackholeLease(engine, lease, 'applied'),
  revert: (engine, lease, reason) =>
    revertInNetns(engine, lease, reason, {
      confirmReverted: confirmBlackholeReverted,
      helperCaps: BLACKHOLE_HELPER_CAPS,
    }),
};

import type { FaultSpec, LeaseDetails, PreparedFault } from '@gameday/core';
import { applyNowViaHelper } from '../../engine/helper-handover';
import { revertInNetns } from '../../engine/netns-revert';
import type { FaultKind, LeaseDraftPart } from '../fault-kind';
import { helperSchedule } from '../helper-clock';
import { BLACKHOLE_HELPER_CAPS } from './blackhole-arm';
import { confirmBlackholeReverted, verifyBlackholeLease } from './blackhole-verify';

/**
 * What happens to armed blackhole rules whatever fault asked for them (a blackhole, or one side of
 * a partition): the lease, the apply now, the hand-over to the helper's clock, verify and revert.
 * `extra` adds the asking kind's own details to the lease.
 */

type Extra = (prepared: PreparedFault) => LeaseDetails;
const none: Extra = () => ({});

function rulesDetails(prepared: PreparedFault, extra: Extra): LeaseDetails {
  const compiled = prepared.blackhole!;
  return {
    blackhole: compiled.expected,
    ...(compiled.peers ? { peers: compiled.peers } : {}),
    warnings: compiled.warnings,
    ...extra(prepared),
  };
}

export function blackholeLeasePart(
  kind: 'blackhole' | 'partition',
  prepared: PreparedFault,
  extra: Extra = none,
): LeaseDraftPart {
  const compiled = prepared.blackhole!;
  return {
    kind,
    handle: `GAMEDAY-${compiled.id}`,
    applyArgv: compiled.apply,
    verifyArgv: compiled.verify,
    revertArgv: compiled.revert,
    details: {
      ...rulesDetails(prepared, extra),
      selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
      clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
    },
  };
}

/** The apply, schedule, verify and revert of armed blackhole rules, for a kind of spec S. */
export function blackholeActions<S extends FaultSpec>(
  extra: Extra = none,
): Pick<FaultKind<S>, 'apply' | 'nothingApplied' | 'schedule' | 'verify' | 'revert'> {
  return {
    async apply(engine, prepared, lease) {
      await engine.assertArmedNetns(lease);
      return applyNowViaHelper(engine, prepared, prepared.blackhole!);
    },
    // a failed step is rolled back by the helper itself (FaultStepError.rolledBack): nothing else is known
    nothingApplied: () => false,
    schedule: helperSchedule<S>({
      steps: (prepared) => prepared.blackhole!,
      details: (prepared) => rulesDetails(prepared, extra),
    }),
    verify: (engine, lease) => verifyBlackholeLease(engine, lease, 'applied'),
    revert: (engine, lease, reason) =>
      revertInNetns(engine, lease, reason, {
        confirmReverted: confirmBlackholeReverted,
        helperCaps: BLACKHOLE_HELPER_CAPS,
      }),
  };
}

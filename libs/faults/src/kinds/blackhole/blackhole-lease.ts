import type { FaultSpec, LeaseDetails, PreparedFault } from '@gameday/core';
import { applyNowViaHelper } from '../../engine/helper-handover';
import { revertInNetns } from '../../engine/netns-revert';
import type { FaultKind, LeaseDraftPart } from '../fault-kind';
import { helperSchedule } from '../helper-clock';
import { BLACKHOLE_HELPER_CAPS } from './blackhole-arm';
import { blackholeArmed, type BlackholeArmed, type BlackholeLeasePart } from './blackhole-part';
import { confirmBlackholeReverted, verifyBlackholeLease } from './blackhole-verify';

/**
 * What happens to armed blackhole rules whatever fault asked for them (a blackhole, or one side of
 * a partition): the lease, the apply now, the hand-over to the helper's clock, verify and revert.
 * `extra` adds the asking kind's own fields (E) to the rules' part of the lease.
 */

type Extra<E> = (prepared: PreparedFault<BlackholeArmed>) => E;
type NoExtra = Record<never, never>;
const none: Extra<NoExtra> = () => ({});

function rulesDetails<E extends object>(
  prepared: PreparedFault<BlackholeArmed>,
  extra: Extra<E>,
): LeaseDetails<BlackholeLeasePart & E> {
  const compiled = blackholeArmed(prepared);
  return {
    kindPart: {
      blackhole: compiled.expected,
      ...(compiled.peers ? { peers: compiled.peers } : {}),
      ...extra(prepared),
    },
    warnings: compiled.warnings,
  };
}

export function blackholeLeasePart<E extends object = NoExtra>(
  kind: 'blackhole' | 'partition',
  prepared: PreparedFault<BlackholeArmed>,
  extra: Extra<E> = none as Extra<E>,
): LeaseDraftPart<BlackholeLeasePart & E> {
  const compiled = blackholeArmed(prepared);
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
export function blackholeActions<S extends FaultSpec, E extends object = NoExtra>(
  extra: Extra<E> = none as Extra<E>,
): Pick<
  FaultKind<S, BlackholeArmed, BlackholeLeasePart & E>,
  'apply' | 'nothingApplied' | 'schedule' | 'verify' | 'revert'
> {
  return {
    async apply(engine, prepared, lease) {
      await engine.assertArmedNetns(lease);
      return applyNowViaHelper(engine, prepared, blackholeArmed(prepared));
    },
    // a failed step is rolled back by the helper itself (FaultStepError.rolledBack): nothing else is known
    nothingApplied: () => false,
    schedule: helperSchedule<S, BlackholeArmed, BlackholeLeasePart & E>({
      steps: blackholeArmed,
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

import type { FaultSpec, LeaseDetails, PreparedFault } from '@gameday/core';
import { handOverSchedule, type HelperSteps } from '../engine/helper-handover';
import type { FaultCapabilities, FaultKind } from './fault-kind';

/**
 * What kinds acting in the target's netns through the sidecar helper share: the helper keeps the
 * fault's clock (unless the worker applies it, as a network fault's exec and nsenter do), and the
 * fault is read back and re-checked during its window.
 */
export function helperCapabilities(clock: FaultCapabilities['clock'] = 'helper'): FaultCapabilities {
  return { clock, verifiable: true, reverify: true };
}

/**
 * The schedule of a kind whose helper keeps the clock: the lease gets the kind's own details and
 * the instants handed over (in the worker's clock, with the correction the helper's are shifted
 * by), and the helper gets the kind's compiled steps.
 */
export function helperSchedule<S extends FaultSpec>(kind: {
  steps: (prepared: PreparedFault & { spec: S }) => HelperSteps;
  details: (prepared: PreparedFault & { spec: S }) => LeaseDetails;
}): NonNullable<FaultKind<S>['schedule']> {
  return {
    details: (prepared, at, expireAt) => ({
      ...kind.details(prepared),
      applyAt: at.applyAt.toISOString(),
      revertAt: at.revertAt.toISOString(),
      selfExpiryAt: new Date(expireAt).toISOString(),
      clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
    }),
    handOver: (engine, prepared, at, expireAt) =>
      handOverSchedule(engine, prepared, kind.steps(prepared), at, expireAt),
  };
}

import type { FaultLease, RevertResult } from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import { revertHelperPlan } from '../../engine/helper-revert';

/**
 * Ends a process kill: a signal sent cannot be taken back, so what a revert removes is the plan,
 * that is the repetition still to come (or the kill at T0 not made yet), through the helper that
 * holds it.
 */
export function revertProcessKill(engine: FaultEngine, lease: FaultLease, reason: string): Promise<RevertResult> {
  return revertHelperPlan(engine, lease, reason, 'nothing signals any more');
}

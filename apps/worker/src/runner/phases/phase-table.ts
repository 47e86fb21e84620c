import type { PhaseHandler, PhaseKey } from '../experiment-context';
import { arming } from './arming.phase';
import { baseline } from './baseline.phase';
import { injecting } from './injecting.phase';
import { observing } from './observing.phase';
import { recovery } from './recovery.phase';
import { rollingBack } from './rolling-back.phase';

/**
 * The phase that takes an experiment on from where it stands. A resumed run re-enters at its
 * persisted status: arming first if no lease of the experiment is on record, then the phase after
 * that status (a run resumed while injecting observes: the injection is not repeated).
 */
export const PHASES: Readonly<Record<PhaseKey, PhaseHandler>> = {
  unarmed: arming,
  arming: baseline,
  baseline: injecting,
  injecting: observing,
  observing: observing,
  rolling_back: rollingBack,
  recovery: recovery,
  // armed yet never started (no version writes that): nothing to drive but the planned end
  scheduled: recovery,
};

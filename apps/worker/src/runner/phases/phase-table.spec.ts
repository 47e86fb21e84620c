import { RUN_PHASES } from '@gameday/core';
import { stepOf, type ExperimentContext } from '../experiment-context';
import { arming } from './arming.phase';
import { baseline } from './baseline.phase';
import { injecting } from './injecting.phase';
import { observing } from './observing.phase';
import { recovery } from './recovery.phase';
import { rollingBack } from './rolling-back.phase';
import { PHASES } from './phase-table';

const at = (status: string, armed: boolean) => ({ armed, state: { status } }) as unknown as ExperimentContext;

describe('the phase table', () => {
  it('has a phase for every status a run is driven in', () => {
    for (const status of RUN_PHASES) expect(PHASES[status]).toBeInstanceOf(Function);
  });

  it('arms an experiment with no lease on record first, whatever the status', () => {
    for (const status of RUN_PHASES) expect(stepOf(at(status, false))).toBe('unarmed');
    expect(PHASES.unarmed).toBe(arming);
  });

  it('takes an armed experiment on from its persisted status', () => {
    expect(RUN_PHASES.map((s) => PHASES[stepOf(at(s, true))])).toEqual([
      recovery, // scheduled yet armed: only the planned end is left
      baseline,
      injecting,
      observing, // resumed while injecting: the injection is not repeated
      observing,
      rollingBack,
      recovery,
    ]);
  });
});

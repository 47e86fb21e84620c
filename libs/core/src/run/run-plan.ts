import { parseDurationMs } from '../units/duration';

export interface ExperimentDurations {
  /**
   * prepared before the baseline: targets, helpers, kernel probe. Absent: the run's arming lead
   * (learned per engine when the run starts, see learnArmingLead)
   */
  arming?: string;
  baseline: string;
  fault: string;
  recovery: string;
}

/** Planned instants (epoch ms) of one experiment. */
export interface ExperimentPlan {
  index: number;
  /** arming starts (targets, helpers, kernel probe), so that the engine is quiet again by baselineAt */
  armAt: number;
  /** where armAt → baselineAt came from: the experiment's durations.arming or the run's learned lead */
  arming: 'spec' | 'lead';
  /** baseline measurement starts; arming that overran it runs alongside and must finish before injectAt */
  baselineAt: number;
  injectAt: number;
  revertAt: number;
  endAt: number;
}

export interface RunPlan {
  startAt: number;
  /** the arming reserved ahead of baselines that give no durations.arming (0: none) */
  armingLeadMs: number;
  experiments: ExperimentPlan[];
  endAt: number;
}

function ms(text: string, field: string): number {
  const value = parseDurationMs(text);
  if (value === undefined) throw new Error(`${field}: "${text}" is not a duration`);
  return value;
}

/**
 * Lays out a run from its scheduled instant: experiments back to back, each
 * arming → baseline → fault → recovery. The instants are fixed up front so injection and revert happen at
 * the planned times whatever the job system's lateness, and skew can be measured against them.
 * An experiment without durations.arming arms for `armingLeadMs` (the run's learned lead) ahead
 * of its baseline, so the baseline is as long as written whatever arming costs.
 */
export function planRun(
  startAt: number,
  experiments: readonly { durations: ExperimentDurations }[],
  armingLeadMs = 0,
): RunPlan {
  let cursor = startAt;
  const plans = experiments.map((e, index): ExperimentPlan => {
    const armAt = cursor;
    const own = e.durations.arming;
    const baselineAt = armAt + (own === undefined ? armingLeadMs : ms(own, `experiments[${index}].durations.arming`));
    const injectAt = baselineAt + ms(e.durations.baseline, `experiments[${index}].durations.baseline`);
    const revertAt = injectAt + ms(e.durations.fault, `experiments[${index}].durations.fault`);
    const endAt = revertAt + ms(e.durations.recovery, `experiments[${index}].durations.recovery`);
    cursor = endAt;
    return { index, armAt, arming: own === undefined ? 'lead' : 'spec', baselineAt, injectAt, revertAt, endAt };
  });
  return { startAt, armingLeadMs, experiments: plans, endAt: cursor };
}

export type PlannedWindow = 'baseline' | 'fault' | 'recovery';

/** Which window of which experiment an instant belongs to (samples are bucketed with this). */
export function windowAt(plan: RunPlan, at: number): { experiment: number; window: PlannedWindow } | null {
  for (const e of plan.experiments) {
    if (at >= e.baselineAt && at < e.injectAt) return { experiment: e.index, window: 'baseline' };
    if (at >= e.injectAt && at < e.revertAt) return { experiment: e.index, window: 'fault' };
    if (at >= e.revertAt && at < e.endAt) return { experiment: e.index, window: 'recovery' };
  }
  return null;
}

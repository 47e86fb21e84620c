import { parseDurationMs } from '../units/duration';

export interface ExperimentDurations {
  /** prepared before the baseline: targets, helpers, kernel probe (optional, default 0) */
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
  /** baseline measurement starts; arming that overran it runs alongside and must finish before injectAt */
  baselineAt: number;
  injectAt: number;
  revertAt: number;
  endAt: number;
}

export interface RunPlan {
  startAt: number;
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
 */
export function planRun(startAt: number, experiments: readonly { durations: ExperimentDurations }[]): RunPlan {
  let cursor = startAt;
  const plans = experiments.map((e, index) => {
    const armAt = cursor;
    const baselineAt =
      armAt + (e.durations.arming ? ms(e.durations.arming, `experiments[${index}].durations.arming`) : 0);
    const injectAt = baselineAt + ms(e.durations.baseline, `experiments[${index}].durations.baseline`);
    const revertAt = injectAt + ms(e.durations.fault, `experiments[${index}].durations.fault`);
    const endAt = revertAt + ms(e.durations.recovery, `experiments[${index}].durations.recovery`);
    cursor = endAt;
    return { index, armAt, baselineAt, injectAt, revertAt, endAt };
  });
  return { startAt, experiments: plans, endAt: cursor };
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

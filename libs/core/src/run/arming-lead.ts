import { percentile } from '../stats/summary';

/**
 * How long a run reserves for arming ahead of a baseline whose experiment gives no
 * `durations.arming`: learned per engine from its own recent armings, so a slow engine (one
 * virtual CPU, a remote daemon) gets the time it needs and a fast one does not wait for nothing.
 */
export interface ArmingLeadPolicy {
  /** never less than this (a fast engine's arming varies by more than its p90 shows) */
  floorMs: number;
  /** what an engine with too little history gets: enough for a slow one-CPU engine to arm cold */
  coldMs: number;
  /** never more than this: a run does not wait minutes because one arming hung */
  capMs: number;
  /** p90 × margin: room for an arming slower than most recent ones */
  margin: number;
  /** how many of the engine's most recent armings are considered */
  history: number;
  /** fewer armings on record than this and the cold value is the least the lead can be */
  minHistory: number;
}

/**
 * The defaults: measured arming on this project's engines is 1-3 s on a host engine and 16-45 s on
 * the one-CPU lab engine (a helper start and about ten docker execs), cold or warm.
 */
export const ARMING_LEAD: Readonly<ArmingLeadPolicy> = Object.freeze({
  floorMs: 20_000,
  coldMs: 60_000,
  capMs: 120_000,
  margin: 1.5,
  history: 20,
  minHistory: 3,
});

/** The run events that record arming: the reserve decided, the overrun as it happens, the measured arming. */
export const ARMING_EVENTS = Object.freeze({
  /** the run's arming lead was decided (data: ArmingLead and the engine) */
  planned: 'arming.planned',
  /** the baseline's planned start passed with arming still going (emitted at that instant) */
  overran: 'arming.overran',
  /** arming finished (data: engine, armingMs, reservedMs, baselineLostMs): the history the lead learns from */
  done: 'arming.done',
} as const);

export interface ArmingLead {
  /** the arming reserved ahead of each baseline that gives no durations.arming (whole seconds) */
  leadMs: number;
  /** learned: from enough history; cold: too little history, the cold value stood in */
  source: 'learned' | 'cold';
  /** how many recent armings were considered */
  samples: number;
  /** their 90th percentile (null without any) */
  p90Ms: number | null;
  policy: ArmingLeadPolicy;
}

/** The lead to reserve, from an engine's recent arming durations (ms, any order). */
export function learnArmingLead(recentMs: readonly number[], policy: ArmingLeadPolicy = ARMING_LEAD): ArmingLead {
  const considered = recentMs.filter((v) => Number.isFinite(v) && v >= 0).slice(0, policy.history);
  const p90 = percentile(
    [...considered].sort((a, b) => a - b),
    90,
  );
  const learned = p90 === null ? 0 : p90 * policy.margin;
  const cold = considered.length < policy.minHistory;
  const wanted = cold ? Math.max(policy.coldMs, learned) : learned;
  const clamped = Math.min(policy.capMs, Math.max(policy.floorMs, wanted));
  return {
    leadMs: Math.min(policy.capMs, Math.ceil(clamped / 1000) * 1000),
    source: cold ? 'cold' : 'learned',
    samples: considered.length,
    p90Ms: p90 === null ? null : Math.round(p90),
    policy: { ...policy },
  };
}

/** Whether any experiment leaves its arming to the learned lead (it gives no durations.arming). */
export function needsArmingLead(experiments: readonly { durations: { arming?: string; baseline: string } }[]): boolean {
  return experiments.some((e) => e.durations.arming === undefined);
}

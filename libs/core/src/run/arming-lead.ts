import type { StepsSource } from '../spec/experiment-steps';
import { percentile } from '../stats/summary';

/**
 * How long a run reserves for arming ahead of a baseline whose experiment gives no
 * `durations.arming`: learned per engine from its own recent armings, so a slow engine (one
 * virtual CPU, a remote daemon) gets the time it needs and a fast one does not wait for nothing.
 * Arming is one fault after another (a helper start and its execs each), so the engine's history
 * is kept per fault and the lead is that times the faults the experiment arms: a lead learned on
 * single faults gave a three-step experiment 60 s on the lab's engine, which took 66 s.
 */
export interface ArmingLeadPolicy {
  /** never less than this (a fast engine's arming varies by more than its p90 shows) */
  floorMs: number;
  /** what an engine with too little history gets per fault: enough for a slow one-CPU engine to arm one cold */
  coldMs: number;
  /** never more than this per fault: a run does not wait minutes because one arming hung */
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
  /** arming finished (data: engine, armingMs, faults, reservedMs, baselineLostMs): the history the lead learns from */
  done: 'arming.done',
} as const);

export interface ArmingLead {
  /** the arming reserved ahead of each baseline that gives no durations.arming (whole seconds) */
  leadMs: number;
  /** learned: from enough history; cold: too little history, the cold value stood in */
  source: 'learned' | 'cold';
  /** how many recent armings were considered */
  samples: number;
  /** their 90th percentile per fault (null without any) */
  p90Ms: number | null;
  /** the faults the lead is for: the most that one experiment leaving its arming to the lead arms */
  faults: number;
  policy: ArmingLeadPolicy;
}

/**
 * The lead to reserve for arming `faults` faults, from an engine's recent arming durations per
 * fault (ms, newest first).
 */
export function learnArmingLead(
  recentMs: readonly number[],
  policy: ArmingLeadPolicy = ARMING_LEAD,
  faults = 1,
): ArmingLead {
  const considered = recentMs.filter((v) => Number.isFinite(v) && v >= 0).slice(0, policy.history);
  const p90 = percentile(
    [...considered].sort((a, b) => a - b),
    90,
  );
  const n = Math.max(1, Math.ceil(faults));
  const learned = p90 === null ? 0 : p90 * policy.margin * n;
  const cold = considered.length < policy.minHistory;
  const wanted = cold ? Math.max(policy.coldMs * n, learned) : learned;
  const cap = policy.capMs * n;
  const clamped = Math.min(cap, Math.max(policy.floorMs, wanted));
  return {
    leadMs: Math.min(cap, Math.ceil(clamped / 1000) * 1000),
    source: cold ? 'cold' : 'learned',
    samples: considered.length,
    p90Ms: p90 === null ? null : Math.round(p90),
    faults: n,
    policy: { ...policy },
  };
}

/** How many faults an experiment arms: its fault steps (gates arm nothing), or its one fault. */
export function faultCountOf(exp: Pick<StepsSource, 'steps'>): number {
  return exp.steps ? exp.steps.filter((s) => s.fault).length : 1;
}

/**
 * The faults the run's lead must cover: the most that one experiment leaving its arming to the
 * lead arms (its steps, or its one fault). Targets are resolved only at arming: a fault on several
 * targets counts once, its targets are in the per-fault history.
 */
export function faultsToArm(
  experiments: readonly (Pick<StepsSource, 'fault' | 'steps'> & { durations: { arming?: string; baseline: string } })[],
): number {
  const counts = experiments.filter((e) => e.durations.arming === undefined).map(faultCountOf);
  return Math.max(1, ...counts);
}

/** Whether any experiment leaves its arming to the learned lead (it gives no durations.arming). */
export function needsArmingLead(experiments: readonly { durations: { arming?: string; baseline: string } }[]): boolean {
  return experiments.some((e) => e.durations.arming === undefined);
}

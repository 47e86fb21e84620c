// The lab bench's experiment of many steps (bench/steps.ts), written as a GameDay spec the product's
// schema validates and planned by the product's stepPlan, as a run would arm it.
//
// Per target, in a 32 s fault window: netem `delay 200ms` at 0–8 s, 12–20 s and 24–32 s, and a
// blackhole (drop, ingress) of a port that is not the echo's at 4–10 s and 16–22 s: steps of one
// kind on one target never overlap and are ≥ 1 s apart, a netem and a blackhole on one target
// overlap. With 10 targets: 50 steps, 20 of them active at once during 4–8 s and 16–20 s.
import { faultTargets, gameDaySpecSchema, stepPlan, type FaultSpec, type PlannedStep } from '@gameday/core';

export type StepKind = 'netem' | 'blackhole';

/** Each target's steps: kind, offset into the window and duration (s). */
export const STEPS_PER_TARGET: readonly { kind: StepKind; at: number; duration: number }[] = [
  { kind: 'netem', at: 0, duration: 8 },
  { kind: 'blackhole', at: 4, duration: 6 },
  { kind: 'netem', at: 12, duration: 8 },
  { kind: 'blackhole', at: 16, duration: 6 },
  { kind: 'netem', at: 24, duration: 8 },
];
export const WINDOW_S = 32;

export interface BenchStep extends PlannedStep {
  name: string;
  kind: StepKind;
  /** the container its fault names */
  target: string;
}

export interface StepsPlanOptions {
  targets: readonly string[];
  /** the step's fault on that target */
  fault: (kind: StepKind, target: string) => FaultSpec;
}

/** The GameDay (one experiment of the steps), as a user would write it. */
export function stepsGameDay({ targets, fault }: StepsPlanOptions): unknown {
  const steps = targets.flatMap((target, t) =>
    STEPS_PER_TARGET.map((s, i) => ({
      name: `t${t}-${s.kind}-${i}`,
      fault: fault(s.kind, target),
      at: `${s.at}s`,
      duration: `${s.duration}s`,
    })),
  );
  return {
    name: 'lab bench: steps in parallel',
    timezone: 'UTC',
    schedule: { at: '2030-01-01T10:00:00.000Z' },
    experiments: [
      {
        name: 'many steps',
        hypothesis: {
          description: 'the steps start and end on time',
          probes: [{ name: 'echo', url: 'http://127.0.0.1:7/', timeoutMs: 1000 }],
        },
        steps,
        durations: { baseline: '10s', fault: `${WINDOW_S}s`, recovery: '10s' },
      },
    ],
  };
}

/** Validated by the product's schema and planned by its stepPlan; each step with its kind and target. */
export function stepsPlan(opts: StepsPlanOptions): BenchStep[] {
  const spec = gameDaySpecSchema.parse(stepsGameDay(opts));
  return stepPlan(spec.experiments[0]).map((p) => {
    const selector = faultTargets(p.fault)[0]?.target as { container?: string } | undefined;
    if (!p.name || !selector?.container) throw new Error(`step ${p.name ?? '?'}: no container named`);
    return { ...p, name: p.name, kind: p.fault.kind === 'network' ? 'netem' : 'blackhole', target: selector.container };
  });
}

/** The most steps active at one instant (a step is active on [offset, offset + duration)). */
export function maxParallel(plan: readonly Pick<PlannedStep, 'offsetMs' | 'durationMs'>[]): number {
  // ends sort before starts at one instant: a step that ends as another begins is not beside it
  const events = plan
    .flatMap((p) => [
      { at: p.offsetMs, d: 1 },
      { at: p.offsetMs + p.durationMs, d: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of events) {
    now += e.d;
    most = Math.max(most, now);
  }
  return most;
}

/** The steps active at `offsetMs` into the window. */
export function activeAt<T extends Pick<PlannedStep, 'offsetMs' | 'durationMs'>>(
  plan: readonly T[],
  offsetMs: number,
): T[] {
  return plan.filter((p) => p.offsetMs <= offsetMs && offsetMs < p.offsetMs + p.durationMs);
}

/** The distinct instants (offsets, ms) at which steps of `kind` start. */
export function startsOf(plan: readonly BenchStep[], kind: StepKind): number[] {
  return [...new Set(plan.filter((p) => p.kind === kind).map((p) => p.offsetMs))].sort((a, b) => a - b);
}

/** What a helper's record says of its step (our clock). */
export interface StepRecord {
  state: string;
  appliedAt?: Date;
  revertedAt?: Date;
}

/**
 * An abort of every step requested at `requested`, from the helpers' records read after the last
 * T0: request → the last active step gone, how many were active and how many not begun. Throws
 * when a step not begun began, one due was not applied, or an active one has no removal.
 */
export function abortOutcome(
  steps: readonly Pick<BenchStep, 'name' | 'offsetMs' | 'durationMs'>[],
  records: readonly StepRecord[],
  windowStart: number,
  requested: number,
): { lastGone: number; active: number; notBegun: number } {
  const planned = new Set(activeAt(steps, requested - windowStart).map((s) => s.name));
  let lastGone = Number.NEGATIVE_INFINITY;
  let active = 0;
  let notBegun = 0;
  records.forEach((r, i) => {
    const s = steps[i];
    const applied = r.appliedAt?.getTime();
    if (windowStart + s.offsetMs > requested) {
      notBegun++;
      if (applied !== undefined)
        throw new Error(`step ${s.name}, not begun at the abort, began at +${applied - requested} ms`);
      return;
    }
    if (applied === undefined || applied > requested)
      throw new Error(`step ${s.name}: due before the abort, not applied (helper state ${r.state})`);
    const gone = r.revertedAt?.getTime();
    if (gone === undefined) throw new Error(`step ${s.name}: active at the abort, no removal on record (${r.state})`);
    // over by its own clock before the abort came
    if (gone < requested) return;
    if (!planned.has(s.name)) throw new Error(`step ${s.name}: active at the abort against the plan`);
    active++;
    lastGone = Math.max(lastGone, gone - requested);
  });
  return { lastGone, active, notBegun };
}

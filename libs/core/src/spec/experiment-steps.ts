import { z } from 'zod';
import { faultSchema, faultTargets, type FaultSpec } from '../faults/fault.schema';
import { faultKindDef } from '../faults/kinds/fault-kind-def.registry';
import { durationSchema, parseDurationMs } from '../units/duration';
import { GATE_MIN_SPAN_MS, gateSchema, type GateSpec } from './gate.schema';

/**
 * Steps: several faults inside one experiment's fault window, each starting at an offset from the
 * window's start or when another step ends, lasting `duration` (default: to the window's end). A
 * step may instead be a gate: a condition on the probes that must be met within its span.
 */
export const MAX_STEPS = 50;
/**
 * Two steps of one kind on one target selector must be this far apart: the first one's revert and
 * the next one's apply run on their helpers' own clocks and must not race for the same rule.
 */
export const SAME_TARGET_GAP_MS = 1_000;

const STEP_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const stepSchema = z
  .strictObject({
    name: z.string().regex(STEP_NAME, 'must be 1-64 letters, digits, "_", "." or "-"'),
    /** the step's fault; or `gate` */
    fault: faultSchema.optional(),
    /** a condition the probes must meet within the step's span, or the experiment aborts; or `fault` */
    gate: gateSchema.optional(),
    /** offset from the fault window's start (default 0s); not with `after` */
    at: durationSchema({ min: '0s', max: '4h' }).optional(),
    /** the name of the step whose end this one starts at; not with `at` */
    after: z.string().max(64).optional(),
    /** how long the fault stays, or the gate waits (default: to the end of the fault window) */
    duration: durationSchema({ min: '1s', max: '4h' }).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.fault === undefined) === (v.gate === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['fault'],
        message: 'a step is a fault or a gate: give `fault` or `gate`, exactly one',
      });
  });

export type StepSpec = z.infer<typeof stepSchema>;

export const stepsSchema = z.array(stepSchema).min(1, 'at least one step').max(MAX_STEPS, `at most ${MAX_STEPS} steps`);

/** A gate step on its plan: judged from offsetMs, decided GATE_DECISION_LEAD_MS before its end. */
export interface PlannedGate {
  name: string;
  gate: GateSpec;
  offsetMs: number;
  durationMs: number;
  path: (string | number)[];
}

/** One fault of an experiment on its plan: `name` null for an experiment's single `fault`. */
export interface PlannedStep {
  name: string | null;
  fault: FaultSpec;
  /** from the fault window's start, ms */
  offsetMs: number;
  durationMs: number;
  /** where its fault sits in the experiment (for field errors) */
  path: (string | number)[];
}

/** What stepPlan reads from an experiment (a parsed spec, or one being validated). */
export interface StepsSource {
  fault?: FaultSpec;
  steps?: StepSpec[];
  durations: { fault: string };
}

export interface StepIssue {
  path: (string | number)[];
  message: string;
}

/** Each fault of the experiment with its offset and duration (ms); throws on a plan validation refuses. */
export function stepPlan(exp: StepsSource): PlannedStep[] {
  return validPlan(exp).plan;
}

/** The experiment's gate steps with their offsets and spans (ms); throws on a plan validation refuses. */
export function gatePlan(exp: StepsSource): PlannedGate[] {
  return validPlan(exp).gates;
}

function validPlan(exp: StepsSource): { plan: PlannedStep[]; gates: PlannedGate[] } {
  const planned = planSteps(exp);
  if (planned.issues.length > 0)
    throw new Error(planned.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return planned;
}

/** The faults of an experiment, in spec order (no timing: dry runs, admin checks, reports). */
export function experimentFaults(exp: { fault?: FaultSpec; steps?: StepSpec[] }): {
  name: string | null;
  fault: FaultSpec;
  path: (string | number)[];
}[] {
  if (exp.steps)
    return exp.steps.flatMap((s, i) =>
      s.fault ? [{ name: s.name, fault: s.fault, path: ['steps', i, 'fault'] }] : [],
    );
  return exp.fault ? [{ name: null, fault: exp.fault, path: ['fault'] }] : [];
}

/** The plan and everything wrong with it, each issue at the field to fix (paths relative to the experiment). */
export function planSteps(exp: StepsSource): { plan: PlannedStep[]; gates: PlannedGate[]; issues: StepIssue[] } {
  const windowMs = parseDurationMs(exp.durations.fault) ?? 0;
  if (!exp.steps) {
    const plan = exp.fault
      ? [{ name: null, fault: exp.fault, offsetMs: 0, durationMs: windowMs, path: ['fault'] }]
      : [];
    return { plan, gates: [], issues: [] };
  }
  const steps = exp.steps;
  const issues: StepIssue[] = [];
  const byName = new Map<string, number>();
  steps.forEach((s, i) => {
    if (byName.has(s.name)) issues.push({ path: ['steps', i, 'name'], message: `step name "${s.name}" is used twice` });
    else byName.set(s.name, i);
    if (s.at !== undefined && s.after !== undefined)
      issues.push({ path: ['steps', i, 'after'], message: 'give either `at` or `after`, not both' });
    if (s.after !== undefined && !byName.has(s.after) && !steps.some((o) => o.name === s.after))
      issues.push({ path: ['steps', i, 'after'], message: `no step named "${s.after}"` });
  });
  if (issues.length > 0) return { plan: [], gates: [], issues };

  const starts = new Map<number, number | null>();
  const durationOf = (i: number, offset: number) =>
    steps[i].duration !== undefined ? (parseDurationMs(steps[i].duration) ?? 0) : windowMs - offset;
  // offsets by following `after` to a step with an `at`; a step met again on the way is a cycle
  const startOf = (i: number, trail: number[]): number | null => {
    const known = starts.get(i);
    if (known !== undefined) return known;
    if (trail.includes(i)) {
      const cycle = [...trail.slice(trail.indexOf(i)), i].map((k) => steps[k].name).join(' → ');
      issues.push({ path: ['steps', i, 'after'], message: `steps wait for each other in a cycle: ${cycle}` });
      starts.set(i, null);
      return null;
    }
    const s = steps[i];
    let start: number | null;
    if (s.after === undefined) start = parseDurationMs(s.at ?? '0s') ?? 0;
    else {
      const before = byName.get(s.after) as number;
      const beforeStart = startOf(before, [...trail, i]);
      start = beforeStart === null ? null : beforeStart + durationOf(before, beforeStart);
    }
    starts.set(i, start);
    return start;
  };
  const plan: PlannedStep[] = [];
  const gates: PlannedGate[] = [];
  steps.forEach((s, i) => {
    const offsetMs = startOf(i, []);
    if (offsetMs === null) return;
    if (offsetMs >= windowMs) {
      issues.push({
        path: ['steps', i, s.after !== undefined ? 'after' : 'at'],
        message: `starts ${offsetMs} ms into a ${windowMs} ms fault window: at or after its end`,
      });
      return;
    }
    const durationMs = durationOf(i, offsetMs);
    if (offsetMs + durationMs > windowMs)
      issues.push({
        path: ['steps', i, 'duration'],
        message: `ends ${offsetMs + durationMs} ms into the fault window, after its end (${windowMs} ms): make it shorter or durations.fault longer`,
      });
    if (s.gate) {
      if (durationMs < GATE_MIN_SPAN_MS)
        issues.push({
          path: ['steps', i, 'duration'],
          message: `a gate needs at least ${GATE_MIN_SPAN_MS} ms: it decides a second before its end, so the steps after it are told in time`,
        });
      gates.push({ name: s.name, gate: s.gate, offsetMs, durationMs, path: ['steps', i, 'gate'] });
    } else if (s.fault) plan.push({ name: s.name, fault: s.fault, offsetMs, durationMs, path: ['steps', i, 'fault'] });
  });
  if (issues.length === 0) issues.push(...overlaps(plan));
  return issues.length === 0 ? { plan, gates, issues } : { plan: [], gates: [], issues };
}

/**
 * Two steps of one kind on the same target selector at once (or closer than SAME_TARGET_GAP_MS):
 * refused. Selectors are compared as written, before resolution: two different selectors that
 * resolve to one container are not caught here (arming refuses a second fault in one helper).
 */
function overlaps(plan: PlannedStep[]): StepIssue[] {
  const issues: StepIssue[] = [];
  const key = (p: PlannedStep) => `${p.fault.kind}:${canonical(faultTargets(p.fault).map((r) => r.target))}`;
  plan.forEach((b, j) => {
    for (const a of plan.slice(0, j)) {
      if (key(a) !== key(b)) continue;
      const def = faultKindDef(b.fault.kind);
      const exclusive = def?.oneStepPerTarget?.(a.fault) && def.oneStepPerTarget(b.fault);
      if (exclusive) {
        issues.push({
          path: [...b.path, ...faultTargets(b.fault)[0].path],
          message: `steps "${a.name}" and "${b.name}" put a ${b.fault.kind} fault on the same target: ${exclusive}`,
        });
        continue;
      }
      const apart =
        a.offsetMs + a.durationMs + SAME_TARGET_GAP_MS <= b.offsetMs ||
        b.offsetMs + b.durationMs + SAME_TARGET_GAP_MS <= a.offsetMs;
      if (!apart)
        issues.push({
          path: [...b.path, ...faultTargets(b.fault)[0].path],
          message: `steps "${a.name}" and "${b.name}" put a ${b.fault.kind} fault on the same target at once (or less than ${SAME_TARGET_GAP_MS} ms apart): move one of them`,
        });
    }
  });
  return issues;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

// Pure helpers for the steps of an experiment drawn as lanes: planned span against actual span,
// from the plan, the live events and (once the run ended) the run's result, which has the last word.
import type { RunDetail, RunEvent } from './api';

type PlannedStep = NonNullable<NonNullable<RunDetail['plan']>['experiments'][number]['steps']>[number];

export type FaultOutcome = 'planned' | 'in_place' | 'completed' | 'aborted' | 'not_begun' | 'failed';
export type GateOutcome = 'planned' | 'open' | 'passed' | 'failed' | 'aborted' | 'not_begun' | 'not_judged';

export interface Lane {
  name: string;
  kind: 'fault' | 'gate';
  faultKind?: string;
  plannedStart: number;
  plannedEnd: number;
  /** a fault step: in place (its last target applied); a gate: opened (its planned start) */
  actualStart: number | null;
  /** a fault step: out (its last target reverted); a gate: passed */
  actualEnd: number | null;
  startSkewMs: number | null;
  endSkewMs: number | null;
  outcome: FaultOutcome | GateOutcome;
  /** a gate that passed: how long after it opened */
  passedAfterMs: number | null;
  /** a gate: the metric when it passed, or as last judged (from the result) */
  actual: number | null;
  condition: string | null;
}

export interface ExperimentLanes {
  index: number;
  /** the fault window, the lanes' time axis */
  windowStart: number;
  windowEnd: number;
  lanes: Lane[];
}

/** What the run's result says of a step or gate (read leniently: the result is the API's `unknown`). */
interface StoredStep {
  name: string;
  appliedAt?: number | null;
  revertedAt?: number | null;
  injectionSkewMs?: number | null;
  revertSkewMs?: number | null;
  passedAt?: number | null;
  actual?: number | null;
  condition?: string;
  outcome?: string;
}

function stored(result: unknown, index: number): { steps: StoredStep[]; gates: StoredStep[] } | null {
  const experiments = (result as { experiments?: unknown } | null)?.experiments;
  if (!Array.isArray(experiments)) return null;
  const e = experiments.find((x) => (x as { index?: number })?.index === index) as
    { steps?: unknown; gates?: unknown } | undefined;
  if (!e) return null;
  return {
    steps: Array.isArray(e.steps) ? (e.steps as StoredStep[]) : [],
    gates: Array.isArray(e.gates) ? (e.gates as StoredStep[]) : [],
  };
}

const field = (e: RunEvent, key: string): unknown => (e.data as Record<string, unknown> | null)?.[key];
const at = (e: RunEvent) => Date.parse(e.at);

/** The step (or gate) an event of the timeline belongs to, if any. */
export function eventStep(e: RunEvent): string | null {
  const name = field(e, 'step') ?? field(e, 'gate');
  return typeof name === 'string' && name ? name : null;
}

/** A fault step from the events: in place when every target applied, out when every one reverted. */
function liveFault(p: PlannedStep, events: RunEvent[], abort: RunEvent | undefined, ended: boolean): Lane {
  const mine = (type: string) => events.filter((e) => e.type === type && field(e, 'step') === p.name);
  const armed = mine('fault.armed').length;
  const applied = mine('fault.applied');
  const reverted = mine('fault.reverted');
  const last = (list: RunEvent[]) => (list.length ? Math.max(...list.map(at)) : null);
  const worst = (list: RunEvent[], planned: number) =>
    list.length ? Math.max(...list.map((e) => at(e) - (e.plannedAt ? Date.parse(e.plannedAt) : planned))) : null;
  // every armed target applied (a step armed on several targets is in place with its last one)
  const inPlace = applied.length > 0 && applied.length >= armed;
  const out = inPlace && reverted.length >= applied.length;
  let outcome: FaultOutcome = out ? 'completed' : inPlace ? 'in_place' : 'planned';
  let actualEnd = out ? last(reverted) : null;
  if (abort && !out) {
    outcome = inPlace || applied.length > 0 ? 'aborted' : 'not_begun';
    if (outcome === 'aborted') actualEnd = at(abort);
  } else if (ended && outcome === 'planned') outcome = 'not_begun';
  return {
    ...base(p),
    actualStart: applied.length ? last(applied) : null,
    actualEnd,
    startSkewMs: worst(applied, p.startAt),
    endSkewMs: out ? worst(reverted, p.endAt) : null,
    outcome,
  };
}

/** A gate from the events: open from its planned start, passed by `gate.passed`, failed by its abort. */
function liveGate(p: PlannedStep, events: RunEvent[], abort: RunEvent | undefined, now: number): Lane {
  const passed = events.find((e) => e.type === 'gate.passed' && field(e, 'gate') === p.name);
  const afterMs = passed ? Number(field(passed, 'afterMs')) : null;
  const lane: Lane = { ...base(p), outcome: 'planned' };
  if (passed) {
    const passedAt = afterMs !== null && Number.isFinite(afterMs) ? p.startAt + afterMs : at(passed);
    return {
      ...lane,
      actualStart: p.startAt,
      actualEnd: passedAt,
      passedAfterMs: passedAt - p.startAt,
      actual: Number(field(passed, 'actual')),
      outcome: 'passed',
    };
  }
  if (abort) {
    const mineFailed = field(abort, 'trigger') === 'gate' && abort.message.startsWith(`gate "${p.name}"`);
    if (mineFailed) return { ...lane, actualStart: p.startAt, outcome: 'failed' };
    return Date.parse(abort.at) >= p.startAt
      ? { ...lane, actualStart: p.startAt, outcome: 'aborted' }
      : { ...lane, outcome: 'not_begun' };
  }
  return now >= p.startAt ? { ...lane, actualStart: p.startAt, outcome: 'open' } : lane;
}

function base(p: PlannedStep): Omit<Lane, 'outcome'> {
  return {
    name: p.name,
    kind: p.kind,
    ...(p.faultKind ? { faultKind: p.faultKind } : {}),
    plannedStart: p.startAt,
    plannedEnd: p.endAt,
    actualStart: null,
    actualEnd: null,
    startSkewMs: null,
    endSkewMs: null,
    passedAfterMs: null,
    actual: null,
    condition: null,
  };
}

/** The result's figures over the live ones: the worker's own record of the step. */
function fromResult(lane: Lane, s: StoredStep | undefined): Lane {
  if (!s) return lane;
  if (lane.kind === 'gate') {
    const passedAt = s.passedAt ?? null;
    return {
      ...lane,
      actualStart: s.outcome === 'not_begun' || s.outcome === 'not_judged' ? lane.actualStart : lane.plannedStart,
      actualEnd: passedAt,
      passedAfterMs: passedAt === null ? null : passedAt - lane.plannedStart,
      actual: s.actual ?? null,
      condition: s.condition ?? null,
      outcome: (s.outcome as GateOutcome) ?? lane.outcome,
    };
  }
  return {
    ...lane,
    actualStart: s.appliedAt ?? null,
    actualEnd: s.revertedAt ?? null,
    startSkewMs: s.injectionSkewMs ?? null,
    endSkewMs: s.revertSkewMs ?? null,
    outcome: (s.outcome as FaultOutcome) ?? lane.outcome,
  };
}

/** Each experiment with steps, its lanes as they stand at `now`. */
export function stepLanes(run: RunDetail, now: number, ended: boolean): ExperimentLanes[] {
  if (!run.plan) return [];
  return run.plan.experiments.flatMap((e) => {
    if (!e.steps?.length) return [];
    const events = run.events.filter((ev) => ev.experimentIndex === e.index);
    const abort = events.find((ev) => ev.type === 'run.abort');
    const result = stored(run.result, e.index);
    const lanes = e.steps.map((p) => {
      const live = p.kind === 'gate' ? liveGate(p, events, abort, now) : liveFault(p, events, abort, ended);
      const list = p.kind === 'gate' ? result?.gates : result?.steps;
      return fromResult(
        live,
        list?.find((s) => s?.name === p.name),
      );
    });
    return [{ index: e.index, windowStart: e.injectAt, windowEnd: e.revertAt, lanes }];
  });
}

/** A span as left/width percentages of the window, clamped to it; null when it has no start. */
export function barOf(
  from: number | null,
  to: number | null,
  windowStart: number,
  windowEnd: number,
): { left: number; width: number } | null {
  if (from === null) return null;
  const total = windowEnd - windowStart || 1;
  const pct = (t: number) => Math.min(100, Math.max(0, ((t - windowStart) / total) * 100));
  const left = pct(from);
  return { left, width: Math.max(0.5, pct(to ?? from) - left) };
}

/** "+3.0 s": an instant as its offset into the fault window. */
export function offset(t: number, windowStart: number): string {
  const s = (t - windowStart) / 1000;
  return `${s < 0 ? '−' : '+'}${Math.abs(s).toFixed(1)} s`;
}

/** "12 ms late", "3 ms early", or "" when unknown. */
export function skew(ms: number | null): string {
  if (ms === null) return '';
  return ms >= 0 ? `${Math.round(ms)} ms late` : `${Math.round(-ms)} ms early`;
}

const OUTCOME_TEXT: Record<string, string> = {
  planned: 'not begun yet',
  in_place: 'in place',
  completed: 'completed',
  aborted: 'aborted',
  not_begun: 'not begun (the run stopped first)',
  failed: 'failed',
  open: 'open',
  not_judged: 'not judged',
};

/** The outcome as words: "passed at +1300 ms (0)" for a gate that passed. */
export function outcomeText(lane: Lane): string {
  if (lane.kind === 'gate' && lane.outcome === 'passed')
    return `passed at +${Math.round(lane.passedAfterMs ?? 0)} ms${lane.actual !== null && Number.isFinite(lane.actual) ? ` (${lane.actual})` : ''}`;
  if (lane.kind === 'gate' && lane.outcome === 'failed') return 'failed: not met in time (the run aborted)';
  return OUTCOME_TEXT[lane.outcome] ?? lane.outcome;
}

/** Markers for the latency chart: each fault step's actual start and end, each gate's pass. */
export interface StepMark {
  at: number;
  label: string;
  edge: 'start' | 'end' | 'passed';
}

export function stepMarks(experiments: ExperimentLanes[]): StepMark[] {
  return experiments.flatMap((e) =>
    e.lanes.flatMap((l): StepMark[] => {
      if (l.kind === 'gate')
        return l.outcome === 'passed' && l.actualEnd !== null
          ? [{ at: l.actualEnd, label: `${l.name} passed`, edge: 'passed' }]
          : [];
      return [
        ...(l.actualStart !== null ? [{ at: l.actualStart, label: `${l.name} ▶`, edge: 'start' as const }] : []),
        ...(l.actualEnd !== null ? [{ at: l.actualEnd, label: `${l.name} ■`, edge: 'end' as const }] : []),
      ];
    }),
  );
}

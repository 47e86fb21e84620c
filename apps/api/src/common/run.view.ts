import {
  needsArmingLead,
  planRun,
  planSteps,
  readRunResult,
  scoreRun,
  type GameDaySpec,
  type ResilienceScore,
  type RunPlan,
} from '@gameday/core';
import type { GameDay, Run, RunEvent, RunNote } from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import type { RunNoteCreateBody } from '../runs/run-notes.schemas';
import {
  faultDetailsHidden,
  HIDDEN_EVENT_MESSAGE,
  isRevealingEvent,
  redactContainerLabels,
  redactHostDetails,
  redactResult,
  redactSecrets,
  redactSpec,
} from './visibility';

// What the API shows of runs and their notes (used by the runs and the GameDays endpoints).

export function runView(r: Run, principal: Principal, gameDay?: Pick<GameDay, 'mode' | 'revealedAt'>) {
  const finished = r.finishedAt !== null;
  return {
    id: r.id,
    gameDayId: r.gameDayId,
    scheduledFor: r.scheduledFor,
    trigger: r.trigger,
    status: r.status,
    gameDayVersion: r.gameDayVersion,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    verdict: r.verdict,
    error: redactHostDetails(r.error, principal),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    // a finished run reveals its fault: the GameDay is over for that occurrence
    spec:
      finished || !gameDay
        ? redactSecrets(r.spec as unknown as GameDaySpec, principal)
        : redactSpec(r.spec as unknown as GameDaySpec, gameDay.mode, gameDay.revealedAt, principal),
    summary: runSummary(r.result, runScore(r, principal).score),
  };
}

/**
 * The run's resilience score from what it stored (status, verdict, result): the report, the run
 * views, the GameDay's trend and the worker's gauge all score through scoreRun, so they agree.
 */
export function runScore(
  r: Pick<Run, 'status' | 'verdict' | 'result' | 'error' | 'abortReason'>,
  principal: Principal,
): ResilienceScore {
  return scoreRun({
    status: r.status,
    verdict: r.verdict,
    experiments: readRunResult(r.result).experiments,
    error: redactHostDetails(r.error, principal),
    abortReason: r.abortReason,
  });
}

/** Per-run figures for trends across runs (the score; first experiment's windows; the run's deviation). */
export function runSummary(result: unknown, score: number | null) {
  const stored = (result ?? {}) as {
    deviationRatio?: number | null;
    experiments?: {
      stats?: Record<string, { p95Ms?: number | null } | undefined>;
      timeToRecoverMs?: number | null;
    }[];
  };
  const first = stored.experiments?.[0];
  const p95 = (w: string) => first?.stats?.[w]?.p95Ms ?? null;
  return {
    score,
    deviationRatio: stored.deviationRatio ?? null,
    timeToRecoverMs: first?.timeToRecoverMs ?? null,
    p95Ms: { baseline: p95('baseline'), fault: p95('fault'), recovery: p95('recovery') },
  };
}

/** One step of an experiment on its plan, as the run views show it (epoch ms). */
export interface PlannedStepView {
  name: string;
  kind: 'fault' | 'gate';
  faultKind?: string;
  startAt: number;
  endAt: number;
}

/**
 * The planned instants of a run, arming included, so clients can count down to injection and
 * rollback, and each step's planned span so they can draw lanes (omitted with `hideSteps`: in
 * blind mode a step's timing tells the fault). Null while the run's arming lead is not settled
 * yet (its worker settles it as the run starts: the plan is not known before), and for a snapshot
 * that does not plan.
 */
export function runPlan(
  r: Pick<Run, 'scheduledFor' | 'spec' | 'status' | 'armingLeadMs'>,
  hideSteps = false,
): (RunPlan & { experiments: (RunPlan['experiments'][number] & { steps?: PlannedStepView[] })[] }) | null {
  try {
    const experiments = (r.spec as unknown as GameDaySpec).experiments;
    // a run that started before arming leads existed planned none
    if (r.armingLeadMs === null && r.status === 'scheduled' && needsArmingLead(experiments)) return null;
    const plan = planRun(r.scheduledFor.getTime(), experiments, r.armingLeadMs ?? 0);
    if (hideSteps) return plan;
    return {
      ...plan,
      experiments: plan.experiments.map((e, i) => {
        const steps = plannedSteps(experiments[i], e.injectAt);
        return steps ? { ...e, steps } : e;
      }),
    };
  } catch {
    // a snapshot that no longer plans (should not happen) is shown without countdowns
    return null;
  }
}

/** The steps of an experiment with their planned spans, in spec order; undefined for a single fault. */
function plannedSteps(exp: GameDaySpec['experiments'][number], injectAt: number): PlannedStepView[] | undefined {
  if (!exp.steps) return undefined;
  const { plan, gates } = planSteps(exp);
  const spans = new Map<string, PlannedStepView>();
  for (const s of plan)
    if (s.name !== null)
      spans.set(s.name, {
        name: s.name,
        kind: 'fault',
        faultKind: s.fault.kind,
        startAt: injectAt + s.offsetMs,
        endAt: injectAt + s.offsetMs + s.durationMs,
      });
  for (const g of gates)
    spans.set(g.name, {
      name: g.name,
      kind: 'gate',
      startAt: injectAt + g.offsetMs,
      endAt: injectAt + g.offsetMs + g.durationMs,
    });
  return exp.steps.flatMap((s) => spans.get(s.name) ?? []);
}

export function noteView(n: RunNote) {
  return {
    id: n.id,
    runId: n.runId,
    // the column is text; every note is written through runNoteCreateSchema's enum
    kind: n.kind as RunNoteCreateBody['kind'],
    text: n.text,
    owner: n.owner,
    done: n.doneAt !== null,
    doneAt: n.doneAt,
    author: n.author,
    createdAt: n.createdAt,
  };
}

export function runDetailView(
  r: Run & { events: RunEvent[] },
  principal: Principal,
  gameDay?: Pick<GameDay, 'mode' | 'revealedAt'>,
  notes: RunNote[] = [],
) {
  // event details carry tc argv and targets: hidden from blind viewers like the fault itself
  const hideDetails = faultDetailsHidden(r, gameDay, principal);
  return {
    ...runView(r, principal, gameDay),
    result: redactHostDetails(redactContainerLabels(hideDetails ? redactResult(r.result) : r.result), principal),
    score: runScore(r, principal),
    plan: runPlan(r, hideDetails),
    abortRequestedAt: r.abortRequestedAt,
    abortReason: r.abortReason,
    events: r.events.map((e) => ({
      id: e.id.toString(),
      type: e.type,
      phase: e.phase,
      experimentIndex: e.experimentIndex,
      plannedAt: e.plannedAt,
      at: e.at,
      message: hideDetails && isRevealingEvent(e.type) ? HIDDEN_EVENT_MESSAGE : redactHostDetails(e.message, principal),
      data: hideDetails ? null : redactHostDetails(redactContainerLabels(e.data), principal),
    })),
    notes: notes.map(noteView),
  };
}

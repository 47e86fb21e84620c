import { describeGate, gatePlan, NO_HEARTBEAT, stepPlan, type GateResult, type StepResult } from '@gameday/core';
import type { ExperimentContext } from './experiment-context';

/**
 * Each step of the plan against what happened to it, for the report. A step cut short (an abort, a
 * failure) was not confirmed in its lane: its leases say whether its helper had applied it. A run
 * taken over after its worker died knows only the steps with open leases: every lease of the
 * experiment, open or closed, says what became of the others (over before the takeover, or never
 * begun).
 */
export async function stepResults(ctx: ExperimentContext): Promise<StepResult[]> {
  const aborted = ctx.control.aborted;
  const all = await ctx.deps.leases.listForExperiment(ctx.runId, ctx.index).catch(() => null);
  return stepPlan(ctx.exp).map((planned): StepResult => {
    const s = ctx.steps.find((x) => x.name === planned.name);
    const rows = all ? all.filter((r) => (r.details?.step ?? null) === planned.name) : (s?.leases ?? []);
    const applied = rows.flatMap((r) => (r.injectedAt ? [r.injectedAt.getTime()] : []));
    const reverted = rows.flatMap((r) => (r.revertedAt ? [r.revertedAt.getTime()] : []));
    const appliedAt = s?.applied?.at.getTime() ?? (applied.length > 0 ? Math.min(...applied) : null);
    const allOut = rows.length > 0 && reverted.length === rows.length;
    // its helpers did not begin it: no worker drove the run when it was due
    const unbegun = rows.length > 0 && rows.every((r) => !r.injectedAt && r.revertReason === NO_HEARTBEAT);
    // in place, and out: confirmed here, or (a step this worker did not hold) ended by another layer
    const completed = !!s?.reverted || (!s && appliedAt !== null && allOut && !aborted);
    const outcome: StepResult['outcome'] = completed
      ? 'completed'
      : appliedAt !== null
        ? aborted
          ? 'aborted'
          : 'failed'
        : aborted || unbegun || rows.length === 0
          ? 'not_begun'
          : 'failed';
    const plannedStart = ctx.ep.injectAt + planned.offsetMs;
    return {
      name: planned.name ?? '',
      kind: planned.fault.kind,
      plannedStart,
      plannedEnd: plannedStart + planned.durationMs,
      appliedAt,
      revertedAt: s?.reverted?.at.getTime() ?? (appliedAt !== null && allOut ? Math.max(...reverted) : null),
      injectionSkewMs: s?.applied?.skewMs ?? null,
      revertSkewMs: s?.reverted?.skewMs ?? null,
      outcome,
      targets: [
        ...new Set(
          [...(s?.prepared ?? []), ...rows].map((x) => ('target' in x ? x.target.containerName : x.containerName)),
        ),
      ],
    };
  });
}

/** Each gate step's outcome; a run resumed by another executor did not judge its gates. */
export function gateResults(ctx: ExperimentContext): GateResult[] {
  if (ctx.lanes) return ctx.lanes.gates.map((g) => g.result());
  return gatePlan(ctx.exp).map((g) => ({
    name: g.name,
    condition: describeGate(g.gate),
    plannedStart: ctx.ep.injectAt + g.offsetMs,
    plannedEnd: ctx.ep.injectAt + g.offsetMs + g.durationMs,
    passedAt: null,
    actual: null,
    outcome: 'not_judged',
  }));
}

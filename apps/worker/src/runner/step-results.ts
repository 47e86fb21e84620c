import { describeGate, gatePlan, NO_HEARTBEAT, type GateResult, type StepResult } from '@gameday/core';
import type { ExperimentContext } from './experiment-context';

/**
 * Each step's plan against what happened to it, for the report. A step cut short (an abort, a
 * failure) was not confirmed in its lane: its leases say whether its helper had applied it.
 */
export async function stepResults(ctx: ExperimentContext): Promise<StepResult[]> {
  const aborted = ctx.control.aborted;
  return Promise.all(
    ctx.steps.map(async (s): Promise<StepResult> => {
      const rows = (await Promise.all(s.leases.map((l) => ctx.deps.leases.get(l.id).catch(() => null)))).filter(
        (r) => r !== null,
      );
      const applied = rows.flatMap((r) => (r.injectedAt ? [r.injectedAt.getTime()] : []));
      const reverted = rows.flatMap((r) => (r.revertedAt ? [r.revertedAt.getTime()] : []));
      const appliedAt = s.applied?.at.getTime() ?? (applied.length > 0 ? Math.min(...applied) : null);
      const allOut = rows.length > 0 && reverted.length === rows.length;
      const cutShort = aborted ? 'aborted' : 'failed';
      // its helpers did not begin it: no worker drove the run when it was due
      const unbegun = rows.length > 0 && rows.every((r) => !r.injectedAt && r.revertReason === NO_HEARTBEAT);
      return {
        name: s.name ?? '',
        kind: s.fault.kind,
        plannedStart: s.injectAt,
        plannedEnd: s.revertAt,
        appliedAt,
        revertedAt: s.reverted?.at.getTime() ?? (appliedAt !== null && allOut ? Math.max(...reverted) : null),
        injectionSkewMs: s.applied?.skewMs ?? null,
        revertSkewMs: s.reverted?.skewMs ?? null,
        outcome: s.reverted ? 'completed' : appliedAt !== null ? cutShort : aborted || unbegun ? 'not_begun' : 'failed',
        targets: [
          ...new Set(
            [...s.prepared, ...s.leases].map((x) => ('target' in x ? x.target.containerName : x.containerName)),
          ),
        ],
      };
    }),
  );
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

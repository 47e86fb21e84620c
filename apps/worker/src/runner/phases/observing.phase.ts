import { mayReverify, nextReverifyAt, REVERIFY_EVERY_MS } from '@gameday/core';
import { leaseRevertAt } from '../armed-step';
import { dateOf, liveLeases, nowMs, unendedLeases, type ExperimentContext, type Step } from '../experiment-context';
import { reverifyFaults } from '../fault-reverify';

/**
 * Observing: guardrails watch the samples; the steps fire and end in their lanes; what is in place
 * is re-verified now and then until T1, when what has no clock in the target comes out from here.
 */
export async function observing(ctx: ExperimentContext): Promise<Step> {
  const { deps, control, ep } = ctx;
  let checkCostMs = 0;
  let nextCheckAt = nowMs(ctx) + REVERIFY_EVERY_MS;
  while (nowMs(ctx) < ep.revertAt) {
    await control.sleepUntil(Math.min(ep.revertAt, nextCheckAt));
    // a check's docker execs must not spill into the revert instant (of the window or of its step)
    const now = nowMs(ctx);
    const checked = liveLeases(ctx).filter((l) =>
      mayReverify(now, Math.min(ep.revertAt, leaseRevertAt(l)), checkCostMs),
    );
    if (checked.length === 0) {
      nextCheckAt = mayReverify(now, ep.revertAt, checkCostMs) ? nextReverifyAt(now, checkCostMs) : ep.revertAt;
      continue;
    }
    // how long a check takes is measured, not read off a wall clock that may be stepped meanwhile
    const began = deps.clock.monotonicMs();
    for (const plannedEnd of new Set(checked.map(leaseRevertAt)))
      await reverifyFaults(
        { driver: deps.driver, runs: deps.runs, nowMs: () => nowMs(ctx) },
        {
          runId: ctx.runId,
          leases: checked.filter((l) => leaseRevertAt(l) === plannedEnd),
          index: ctx.index,
          control,
          plannedEnd: Math.min(plannedEnd, ep.revertAt),
        },
      );
    checkCostMs = deps.clock.monotonicMs() - began;
    nextCheckAt = nextReverifyAt(nowMs(ctx), checkCostMs);
  }
  ctx.early = await deps.confirm.revertAtPlannedEnd(unendedLeases(ctx));
  await ctx.state.to('rolling_back', {
    type: 'phase.rolling_back',
    message: 'rolling the fault back',
    experimentIndex: ctx.index,
    plannedAt: dateOf(ep.revertAt),
  });
  return 'rolling_back';
}

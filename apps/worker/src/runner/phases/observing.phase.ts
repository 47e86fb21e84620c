import { mayReverify, nextReverifyAt, REVERIFY_EVERY_MS } from '@gameday/core';
import { dateOf, nowMs, type ExperimentContext, type Step } from '../experiment-context';
import { reverifyFaults } from '../fault-reverify';

/** Observing: guardrails watch the samples; the fault is re-verified now and then until T1. */
export async function observing(ctx: ExperimentContext): Promise<Step> {
  const { deps, control, ep } = ctx;
  let checkCostMs = 0;
  let nextCheckAt = nowMs(ctx) + REVERIFY_EVERY_MS;
  while (nowMs(ctx) < ep.revertAt) {
    await control.sleepUntil(Math.min(ep.revertAt, nextCheckAt));
    // a check's docker execs must not spill into the revert instant
    if (!mayReverify(nowMs(ctx), ep.revertAt, checkCostMs)) {
      nextCheckAt = ep.revertAt;
      continue;
    }
    // how long a check takes is measured, not read off a wall clock that may be stepped meanwhile
    const began = deps.clock.monotonicMs();
    await reverifyFaults(
      { driver: deps.driver, runs: deps.runs, nowMs: () => nowMs(ctx) },
      { runId: ctx.runId, leases: ctx.leases, index: ctx.index, control, plannedEnd: ep.revertAt },
    );
    checkCostMs = deps.clock.monotonicMs() - began;
    nextCheckAt = nextReverifyAt(nowMs(ctx), checkCostMs);
  }
  ctx.early = await deps.confirm.revertUnguarded(ctx.leases, 'planned_end');
  await ctx.state.to('rolling_back', {
    type: 'phase.rolling_back',
    message: 'rolling the fault back',
    experimentIndex: ctx.index,
    plannedAt: dateOf(ep.revertAt),
  });
  return 'rolling_back';
}

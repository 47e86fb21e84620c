import { dateOf, setFaultActive, type ExperimentContext, type Step } from '../experiment-context';

/** Rolling back: the helper reverts at T1 by its own clock; we confirm it (or revert from here). */
export async function rollingBack(ctx: ExperimentContext): Promise<Step> {
  const { deps, runId, exp, ep, index } = ctx;
  ctx.reverted = await deps.confirm.reverted(runId, ctx.leases, ep, 'planned_end', ctx.early);
  await deps.faultJobs.cancelRevert(runId, index);
  setFaultActive(ctx, 0);
  await deps.notifier.notify(runId, ctx.spec, 'fault.reverted', { experiment: exp.name });
  await ctx.state.to('recovery', {
    type: 'phase.recovery',
    message: `watching recovery until ${dateOf(ep.endAt).toISOString()}`,
    experimentIndex: index,
    plannedAt: dateOf(ep.revertAt),
  });
  return 'recovery';
}

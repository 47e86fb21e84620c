import { leaseRevertAt, planOf, spanOf } from '../armed-step';
import { dateOf, setFaultActive, unendedLeases, type ExperimentContext, type Step } from '../experiment-context';

/**
 * Rolling back: the helpers revert at T1 by their own clocks; we confirm it (or revert from here)
 * for every step still in place, once each lane is over, so every step is confirmed reverted.
 */
export async function rollingBack(ctx: ExperimentContext): Promise<Step> {
  const { deps, runId, exp, ep, index } = ctx;
  await ctx.lanes?.settled;
  const open = unendedLeases(ctx);
  const confirmed = [];
  // each step that ends with the window, confirmed as itself (its report line says when it ended)
  for (const step of ctx.steps.filter((s) => !s.reverted && !s.notBegun && s.leases.length > 0)) {
    step.reverted = await deps.confirm.reverted(runId, step.leases, planOf(ep, step), 'planned_end', ctx.early);
    confirmed.push(step.reverted);
  }
  // a resumed run knows its steps from the ledger only: each lease's expiry is its step's T1
  const known = new Set(ctx.steps.flatMap((s) => s.leases.map((l) => l.id)));
  const unknown = open.filter((l) => !known.has(l.id));
  for (const revertAt of new Set(unknown.map(leaseRevertAt)))
    confirmed.push(
      await deps.confirm.reverted(
        runId,
        unknown.filter((l) => leaseRevertAt(l) === revertAt),
        { ...ep, revertAt: Math.min(revertAt, ep.revertAt) },
        'planned_end',
        ctx.early,
      ),
    );
  for (const l of open) ctx.live.delete(l.id);
  ctx.applied = spanOf([ctx.applied, ...ctx.steps.map((s) => s.applied)], 'first');
  ctx.reverted = spanOf([...confirmed, ...ctx.steps.map((s) => s.reverted)], 'last');
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

import { dateOf, nowMs, setFaultActive, type ExperimentContext, type Step } from '../experiment-context';

/** Injecting: the helper applies at T0 by its own clock; we confirm and record the skew, then observe. */
export async function injecting(ctx: ExperimentContext): Promise<Step> {
  const { deps, state, control, runId, exp, ep, index } = ctx;
  await control.sleepUntil(ep.injectAt);
  await state.to('injecting', {
    type: 'phase.injecting',
    message: 'injecting the fault',
    experimentIndex: index,
    plannedAt: dateOf(ep.injectAt),
  });
  const direct = [];
  // each lease is recorded before its fault is applied (write-ahead)
  for (const p of ctx.pending) direct.push(await deps.ledger.apply(deps.driver, p));
  // their commands are on record like the helper's (reports show what ran where)
  await deps.arming.announce(runId, direct, ep, ctx.prepared);
  ctx.leases.push(...direct);
  const confirmed = await deps.confirm.injected(runId, ctx.leases, ep, exp.fault.kind);
  ctx.applied = confirmed;
  for (const reason of confirmed?.unverified ?? []) control.abort({ trigger: 'verification', reason, at: nowMs(ctx) });
  control.throwIfAborted();
  setFaultActive(ctx, 1);
  await deps.notifier.notify(runId, ctx.spec, 'fault.injected', {
    experiment: exp.name,
    targets: ctx.leases.map((l) => l.containerName),
  });
  await state.to('observing', {
    type: 'phase.observing',
    message: `observing until ${dateOf(ep.revertAt).toISOString()}`,
    experimentIndex: index,
    plannedAt: dateOf(ep.injectAt),
  });
  return 'observing';
}

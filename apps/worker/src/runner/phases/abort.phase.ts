import { spanOf } from '../armed-step';
import { setFaultActive, nowMs, unendedLeases, type ExperimentContext } from '../experiment-context';
import type { AbortCause } from '../run-control';

const CAUSE_NOUN: Record<AbortCause['trigger'], string> = {
  guardrail: 'breach',
  operator: 'request',
  verification: 'request',
  gate: "gate's deadline",
};

/**
 * The experiment was aborted (guardrail, operator, failed verification, a gate not met): revert now (the fault
 * queue does it too for an operator's abort), measure the abort latency and say so.
 */
export async function aborted(ctx: ExperimentContext, cause: AbortCause): Promise<void> {
  const { deps, runId } = ctx;
  const reason = cause.trigger === 'guardrail' ? 'guardrail' : 'abort';
  // from memory first, every kind at once: the ledger read below needs Postgres, and a step armed
  // on its helper's clock (in place, or not begun yet) is stood down before its instant comes
  const known = ctx.leases.length;
  const early = await deps.confirm.revertNow(unendedLeases(ctx), reason);
  deps.unrecorded.add(early, reason);
  await deps.unrecorded.flush();
  // every step of every target: the open leases of the run, wherever their step stands
  const rest = await deps.release.revertRun(runId, reason);
  const count = early.size + rest.count;
  const abortPaths = [...[...early.values()].flatMap((r) => (r.abortPath ? [r.abortPath] : [])), ...rest.abortPaths];
  ctx.reverted = { at: deps.clock.now(), skewMs: 0 };
  const abortLatencyMs = nowMs(ctx) - cause.at;
  // the lanes end on the abort; one that was applying a step right then recorded its lease since
  await ctx.lanes?.settled;
  if (ctx.leases.length > known) await deps.release.revertRun(runId, reason);
  ctx.applied = spanOf([ctx.applied, ...ctx.steps.map((s) => s.applied)], 'first');
  ctx.abortLatencyMs = abortLatencyMs;
  deps.metrics.abortLatency.observe({ trigger: cause.trigger }, abortLatencyMs / 1000);
  setFaultActive(ctx, 0);
  if (ctx.leases.length > 0)
    await deps.notifier.notify(runId, ctx.spec, 'fault.reverted', { experiment: ctx.exp.name, reason: cause.reason });
  await deps.runs.appendEvent(runId, {
    type: 'run.abort',
    message: `${cause.reason}; ${count} fault(s) reverted ${abortLatencyMs} ms after the ${CAUSE_NOUN[cause.trigger]}${abortPaths.length ? ` (helpers told through ${describePaths(abortPaths)})` : ''}`,
    phase: ctx.state.status,
    experimentIndex: ctx.index,
    data: { trigger: cause.trigger, abortLatencyMs, abortPaths },
  });
}

/** "the held stdin ×2, a signal ×1": how the aborts reached their helpers. */
function describePaths(paths: string[]): string {
  const counts = new Map<string, number>();
  for (const p of paths) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts].map(([p, n]) => `${p === 'stdin' ? 'the held stdin' : 'a signal'} ×${n}`).join(', ');
}

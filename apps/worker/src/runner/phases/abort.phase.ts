import { setFaultActive, nowMs, type ExperimentContext } from '../experiment-context';
import type { AbortCause } from '../run-control';

/**
 * The experiment was aborted (guardrail, operator, failed verification): revert now (the fault
 * queue does it too for an operator's abort), measure the abort latency and say so.
 */
export async function aborted(ctx: ExperimentContext, cause: AbortCause): Promise<void> {
  const { deps, runId } = ctx;
  const reason = cause.trigger === 'guardrail' ? 'guardrail' : 'abort';
  // from memory first: the ledger read below needs Postgres
  deps.unrecorded.add(await deps.confirm.revertUnguarded(ctx.leases, reason), reason);
  await deps.unrecorded.flush();
  const { count, abortPaths } = await deps.release.revertRun(runId, reason);
  ctx.reverted = { at: deps.clock.now(), skewMs: 0 };
  const abortLatencyMs = nowMs(ctx) - cause.at;
  ctx.abortLatencyMs = abortLatencyMs;
  deps.metrics.abortLatency.observe({ trigger: cause.trigger }, abortLatencyMs / 1000);
  setFaultActive(ctx, 0);
  if (ctx.leases.length > 0)
    await deps.notifier.notify(runId, ctx.spec, 'fault.reverted', { experiment: ctx.exp.name, reason: cause.reason });
  await deps.runs.appendEvent(runId, {
    type: 'run.abort',
    message: `${cause.reason}; ${count} fault(s) reverted ${abortLatencyMs} ms after the ${cause.trigger === 'guardrail' ? 'breach' : 'request'}${abortPaths.length ? ` (helpers told through ${describePaths(abortPaths)})` : ''}`,
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

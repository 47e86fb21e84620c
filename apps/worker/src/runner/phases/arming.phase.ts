import { faultCountOf } from '@gameday/core';
import { FencedError } from '@gameday/db';
import { ArmingWatch } from '../arming-watch';
import { dateOf, nowMs, stepOf, type ExperimentContext, type Step } from '../experiment-context';
import { RunAbortedError } from '../run-control';

/**
 * Arming, alongside the baseline: resolve, probe the kernel, start helpers, queue the revert, hand
 * over T0/T1. Runs once per experiment, whatever the run's status, until a lease of it is on
 * record; only a run between experiments (or not started) says `phase.arming`.
 */
export async function arming(ctx: ExperimentContext): Promise<Step> {
  const { deps, state, runId, exp, ep, index, control } = ctx;
  if (state.status === 'scheduled' || state.status === 'recovery') {
    await state.to('arming', {
      type: 'phase.arming',
      message: `arming experiment "${exp.name}"`,
      experimentIndex: index,
      plannedAt: dateOf(ep.armAt),
    });
    await deps.notifier.notify(runId, ctx.spec, 'run.started', { experiment: exp.name });
  }
  await deps.safetyLever.refuseArming(control);
  const timing = new ArmingWatch(
    { runs: deps.runs, clock: deps.clock, engine: deps.driver.engine },
    runId,
    ep,
    faultCountOf(exp),
  );
  timing.start();
  try {
    ctx.steps = await deps.arming.arm(runId, exp, ep, index, ctx.prepared, control);
    ctx.leases = ctx.steps.flatMap((s) => s.leases);
  } catch (error) {
    timing.stop();
    // a slow arming that missed its deadline still teaches the engine's lead (an aborted or
    // taken-over one was cut short: its time says nothing)
    if (!(error instanceof RunAbortedError || error instanceof FencedError))
      await timing.done(nowMs(ctx), (error as Error).message).catch(() => undefined);
    throw error;
  }
  ctx.armedAt = nowMs(ctx);
  await timing.done(ctx.armedAt);
  ctx.armed = true;
  return stepOf(ctx);
}

import { spanOf } from '../armed-step';
import { dateOf, type ExperimentContext, type Step } from '../experiment-context';
import { StepLanes } from '../step-lanes';

/**
 * Injecting: the steps fire at their instants (their helpers by their own clocks); the phase
 * waits for those that open the window, confirmed with their skew, then observes.
 */
export async function injecting(ctx: ExperimentContext): Promise<Step> {
  const { state, control, ep, index } = ctx;
  // the lanes wait for their own instants: a step due at T0 does not wait for the phase's write
  ctx.lanes = new StepLanes(ctx);
  await control.sleepUntil(ep.injectAt);
  await state.to('injecting', {
    type: 'phase.injecting',
    message: ctx.steps.length > 1 ? `injecting ${ctx.steps.length} steps at their instants` : 'injecting the fault',
    experimentIndex: index,
    plannedAt: dateOf(ep.injectAt),
  });
  await ctx.lanes.opening;
  // the window as the verdict judges it opens with the first step in place (later ones join it)
  ctx.applied = spanOf(
    ctx.steps.map((s) => s.applied),
    'first',
  );
  control.throwIfAborted();
  await state.to('observing', {
    type: 'phase.observing',
    message: `observing until ${dateOf(ep.revertAt).toISOString()}`,
    experimentIndex: index,
    plannedAt: dateOf(ep.injectAt),
  });
  return 'observing';
}

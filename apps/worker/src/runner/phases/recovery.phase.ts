import type { ExperimentContext, Step } from '../experiment-context';

/** Recovery: the watch measures it until the experiment's planned end. */
export async function recovery(ctx: ExperimentContext): Promise<Step> {
  await ctx.control.sleepUntil(ctx.ep.endAt);
  return 'ended';
}

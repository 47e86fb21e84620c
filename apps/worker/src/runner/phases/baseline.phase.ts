import { dateOf, type ExperimentContext, type Step } from '../experiment-context';

/** The baseline starts at its planned instant, once arming's reserve is over; the watch measures it. */
export async function baseline(ctx: ExperimentContext): Promise<Step> {
  const { ep, prepared } = ctx;
  await ctx.control.sleepUntil(ep.baselineAt);
  await ctx.state.to('baseline', {
    type: 'phase.baseline',
    message: `armed ${prepared.length} target(s); measuring the steady state until ${dateOf(ep.injectAt).toISOString()}`,
    experimentIndex: ctx.index,
    plannedAt: dateOf(ep.baselineAt),
    data: {
      targets: prepared.map((p) => ({
        containerId: p.target.containerId,
        containerName: p.target.containerName,
      })),
    },
  });
  return 'baseline';
}

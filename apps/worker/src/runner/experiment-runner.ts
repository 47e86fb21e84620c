import { observedWindows, parseDurationMs, type ExperimentResult, type GameDaySpec, type RunPlan } from '@gameday/core';
import { FencedError, type Prisma } from '@gameday/db';
import { leaseSide } from '@gameday/faults';
import { stepsFromLedger } from './armed-step';
import { gateResults, stepResults } from './step-results';
import { labelsOf, stepOf, type ExperimentContext, type RunnerDeps, type Step } from './experiment-context';
import { aborted } from './phases/abort.phase';
import { PHASES } from './phases/phase-table';
import { RunAbortedError, type RunControl } from './run-control';
import type { RunState } from './run-state';
import { SteadyStateWatch } from './steady-state-watch';
import { restoreStoredSamples } from './stored-samples';

const json = (v: unknown) => v as Prisma.InputJsonValue;

export interface ExperimentRun {
  runId: string;
  spec: GameDaySpec;
  plan: RunPlan;
  index: number;
  state: RunState;
  control: RunControl;
}

/**
 * Drives one experiment of a run phase by phase from where it stands (see PHASES), from its arming
 * instant to its planned end, then judges it. An abort ends it early with a verdict; anything else
 * that stops it takes out what has no clock of its own in the target, and is thrown.
 */
export async function runExperiment(deps: RunnerDeps, run: ExperimentRun): Promise<ExperimentResult> {
  const ctx = await load(deps, run);
  const { control, watch, ep } = ctx;
  try {
    await control.sleepUntil(ep.armAt);
    watch.start();
    let step: Step = stepOf(ctx);
    while (step !== 'ended') step = await PHASES[step](ctx);
  } catch (caught) {
    // an error right after an operator's abort may be its doing (its revert removed a helper a
    // step was reading): the run ends aborted, as asked (or fenced, if another executor took it)
    const error =
      caught instanceof RunAbortedError || caught instanceof FencedError ? caught : await recheck(control, caught);
    if (error instanceof FencedError) {
      // the new executor drives the run from the ledger: the lanes end here, on the fence, and
      // the helpers this executor armed that no lease names go with it
      await ctx.lanes?.settled;
      await watch.stop();
      await deps.release.releaseUnleased(ctx.prepared, ctx.leases);
      throw error;
    }
    if (!(error instanceof RunAbortedError)) {
      // the run cannot go on (Postgres may be what failed): what has no clock of its own in the
      // target comes out now, from what this worker holds, before anything that needs Postgres:
      // stopping the watch waits for probes in flight and writes the last samples, which can fail
      // or wait on a pool that lost Postgres (a CI run of postgres-down-fault.int-spec saw the
      // target still paused at T1+5 s; the cause was not reproduced here)
      // and its ledger records when that happened, once Postgres answers (T1's instant if it was then)
      ctx.lanes?.stop();
      deps.unrecorded.add(ctx.early, 'planned_end');
      const known = ctx.leases.length;
      deps.unrecorded.add(await deps.confirm.revertUnguarded(ctx.leases, 'run_failed'), 'run_failed');
      // a lane that was applying a step right then has recorded its lease since
      await ctx.lanes?.settled;
      if (ctx.leases.length > known)
        deps.unrecorded.add(await deps.confirm.revertUnguarded(ctx.leases.slice(known), 'run_failed'), 'run_failed');
      await watch.stop().catch(() => undefined);
      await deps.unrecorded.flush();
      await deps.release.releaseAll(ctx.prepared, ctx.leases);
      throw error;
    }
    await aborted(ctx, error.detail);
  }

  await watch.stop();
  await deps.release.releaseAll(ctx.prepared, ctx.leases);
  return judge(ctx);
}

async function recheck(control: RunControl, caught: unknown): Promise<unknown> {
  const abort = await control.recheck();
  return control.lost ?? (abort ? new RunAbortedError(abort) : caught);
}

/** The experiment as it stands: its samples so far (a resumed run), its open leases, whether it was armed. */
async function load(deps: RunnerDeps, run: ExperimentRun): Promise<ExperimentContext> {
  const { runId, spec, plan, index, state, control } = run;
  const exp = spec.experiments[index];
  const watch = new SteadyStateWatch(
    exp,
    plan,
    index,
    {
      runId,
      gameDay: spec.name,
      samples: deps.samples,
      metrics: deps.metrics,
      egress: deps.egress,
      prometheusUrl: deps.config.GAMEDAY_PROMETHEUS_URL,
      clock: deps.clock,
    },
    control,
  );
  await restoreStoredSamples(deps.samples, watch, runId, index);
  const leases = await deps.release.openOf(runId, index);
  // a resumed run holds its helpers from here: their abort line, and the heartbeat without which a
  // step not begun does not begin
  await Promise.all(leases.map((l) => deps.driver.adopt?.(l).catch(() => false)));
  // A lease row (reverted or not) means this experiment was armed before: never arm twice.
  const armed = (await deps.leases.countForExperiment(runId, index)) > 0;
  return {
    deps,
    runId,
    spec,
    index,
    state,
    control,
    exp,
    ep: plan.experiments[index],
    watch,
    armed,
    leases,
    // a resumed run: what the ledger says is in place
    live: new Set(leases.filter((l) => l.injectedAt).map((l) => l.id)),
    steps: stepsFromLedger(exp, plan.experiments[index], leases),
    lanes: null,
    prepared: [],
    armedAt: null,
    applied: null,
    reverted: null,
    early: new Map(),
    abortLatencyMs: null,
  };
}

/** The verdict over the windows as they really were, recorded and returned. */
async function judge(ctx: ExperimentContext): Promise<ExperimentResult> {
  const { deps, exp, ep, control, applied, reverted } = ctx;
  const settleMs = parseDurationMs(exp.durations.settle ?? '0s') ?? 0;
  const windows = observedWindows(
    ep,
    { armedAt: ctx.armedAt, appliedAt: applied?.at.getTime(), revertedAt: reverted?.at.getTime() },
    settleMs,
  );
  const judged = ctx.watch.judge(windows, reverted?.at.getTime() ?? ep.revertAt, control.aborted?.reason);
  if (judged.verdict.deviationRatio !== null)
    deps.metrics.steadyStateDeviation.set(labelsOf(ctx), judged.verdict.deviationRatio);
  await deps.runs.appendEvent(ctx.runId, {
    type: 'experiment.verdict',
    message: `${exp.name}: ${judged.verdict.verdict} (${judged.verdict.reason})`,
    experimentIndex: ctx.index,
    data: json({
      verdict: judged.verdict.verdict,
      deviationRatio: judged.verdict.deviationRatio,
      timeToRecoverMs: judged.timeToRecoverMs,
      windows,
    }),
  });
  return {
    index: ctx.index,
    name: exp.name,
    plan: ep,
    windows,
    ...(exp.steps ? { steps: await stepResults(ctx) } : {}),
    ...(exp.steps?.some((s) => s.gate) ? { gates: gateResults(ctx) } : {}),
    targets: ctx.leases.map((l) => {
      // the target's group, for a kind that has groups (a partition's side): its module reads it
      const side = leaseSide(l);
      return {
        containerId: l.containerId,
        containerName: l.containerName,
        netnsId: l.netnsId,
        ...(side ? { side } : {}),
      };
    }),
    ...judged,
    injectionSkewMs: applied?.skewMs ?? null,
    revertSkewMs: control.aborted ? null : (reverted?.skewMs ?? null),
    abortLatencyMs: ctx.abortLatencyMs,
    ...(control.aborted ? { aborted: control.aborted } : {}),
  };
}

import { gatePlan } from '@gameday/core';
import { FencedError } from '@gameday/db';
import { planOf, stepPrefix, type ArmedStep } from './armed-step';
import { GateLane } from './gate-lane';
import { labelsOf, nowMs, type ExperimentContext } from './experiment-context';
import { RunAbortedError } from './run-control';

/** The run stopped for another reason than an abort (it failed): no step begins any more. */
class LanesStopped extends Error {}

/**
 * The steps of an experiment fired side by side with its phases, one lane each: at its T0 the
 * worker applies what has no clock in the target and confirms what the helpers applied by theirs;
 * at its T1 (when before the window's end, which the phases own) the same for its revert.
 * Lanes wait for the run's abort, so a step not begun when the run aborts never begins.
 */
export class StepLanes {
  /** the steps that open the window are in place (rejects as the single fault's injection did) */
  readonly opening: Promise<void>;
  /** every lane is over: done, stopped by the abort, or failed (a failure aborts the run) */
  readonly settled: Promise<void>;
  /** the gate steps, each in a lane of its own (a gate not met aborts the run) */
  readonly gates: GateLane[];

  private stopped = false;
  private wake: () => void = () => undefined;
  private readonly halted = new Promise<void>((resolve) => (this.wake = resolve));

  constructor(private readonly ctx: ExperimentContext) {
    const opening = ctx.steps.filter((s) => s.injectAt <= ctx.ep.injectAt);
    const openingFired = opening.map((s) => this.fire(s));
    this.opening = Promise.all(openingFired).then(() => undefined);
    // awaited by the injecting phase, unless the run stopped before (an abort during the baseline)
    this.opening.catch(() => undefined);
    const lanes = ctx.steps.map(async (s) => {
      const i = opening.indexOf(s);
      if (i >= 0) {
        // the injecting phase throws a failed opening, as for a single fault
        if (
          !(await openingFired[i].then(
            () => true,
            () => false,
          ))
        )
          return;
      } else await this.fire(s);
      if (s.revertAt < ctx.ep.revertAt && !s.notBegun) await this.end(s);
    });
    // a lane that fails after the window opened stops the run through its abort: its other
    // steps and every fault in place come out the abort's way
    this.gates = gatePlan(ctx.exp).map((g) => new GateLane(ctx, g));
    const gateLanes = this.gates.map((g) => g.run((at) => this.sleepUntil(at)).catch(() => undefined));
    this.settled = Promise.all([
      ...lanes.map((l, i) => l.catch((e: unknown) => this.failed(e, ctx.steps[i]))),
      ...gateLanes,
    ]).then(() => undefined);
  }

  /** The run failed: lanes end at once and no step begins any more. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  private async sleepUntil(at: number): Promise<void> {
    await Promise.race([this.ctx.control.sleepUntil(at), this.halted]);
    this.throwIfStopped();
  }

  private throwIfStopped(): void {
    this.ctx.control.throwIfAborted();
    if (this.stopped) throw new LanesStopped('the run stopped');
  }

  private async fire(step: ArmedStep): Promise<void> {
    const { deps, control, runId, ep } = this.ctx;
    await this.sleepUntil(step.injectAt);
    const direct = [];
    // each lease is recorded before its fault is applied (write-ahead); never after an abort
    for (const p of step.pending) {
      this.throwIfStopped();
      const lease = await deps.ledger.apply(deps.driver, p, step.name);
      direct.push(lease);
      step.leases.push(lease);
      this.ctx.leases.push(lease);
    }
    // their commands are on record like the helper's (reports show what ran where)
    await deps.arming.announce(runId, direct, planOf(ep, step), this.ctx.prepared);
    const confirmed = await deps.confirm.injected(runId, step.leases, planOf(ep, step), step.fault.kind);
    // on record as not begun (no worker drove the run when it was due): the run goes on without it
    if (!confirmed && step.leases.length > 0) {
      step.notBegun = true;
      return;
    }
    step.applied = confirmed;
    for (const l of step.leases) this.ctx.live.add(l.id);
    for (const reason of confirmed?.unverified ?? [])
      control.abort({ trigger: 'verification', reason: `${stepPrefix(step.name)}${reason}`, at: nowMs(this.ctx) });
    control.throwIfAborted();
    this.gauge(step, 1);
    await deps.notifier.notify(runId, this.ctx.spec, 'fault.injected', {
      experiment: this.ctx.exp.name,
      ...(step.name ? { step: step.name } : {}),
      targets: step.leases.map((l) => l.containerName),
    });
  }

  /** A step that ends inside the window: out by its helper's clock (or from here), confirmed. */
  private async end(step: ArmedStep): Promise<void> {
    const { deps, runId, ep } = this.ctx;
    await this.sleepUntil(step.revertAt);
    const early = await deps.confirm.revertAtPlannedEnd(step.leases);
    step.reverted = await deps.confirm.reverted(runId, step.leases, planOf(ep, step), 'planned_end', early);
    for (const l of step.leases) this.ctx.live.delete(l.id);
    this.gauge(step, 0);
    await deps.notifier.notify(runId, this.ctx.spec, 'fault.reverted', {
      experiment: this.ctx.exp.name,
      step: step.name,
    });
  }

  private failed(error: unknown, step: ArmedStep): void {
    if (error instanceof RunAbortedError || error instanceof FencedError || error instanceof LanesStopped) return;
    const message = (error as Error).message;
    const prefix = stepPrefix(step.name);
    const reason = message.startsWith(prefix) ? message : `${prefix}${message}`;
    this.ctx.control.abort({ trigger: 'verification', reason, at: nowMs(this.ctx) });
  }

  private gauge(step: ArmedStep, on: 0 | 1): void {
    for (const l of step.leases)
      this.ctx.deps.metrics.faultActive.set({ ...labelsOf(this.ctx), target: l.containerName }, on);
  }
}

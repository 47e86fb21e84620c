import { Logger } from '@nestjs/common';
import { ARMING_EVENTS, describeArmingOverrun, type Clock, type ExperimentPlan } from '@gameday/core';
import type { RunRepository } from '@gameday/db';

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * Times one experiment's arming against its plan. When the baseline's planned start passes with
 * arming still going it says so at once (`arming.overran`, so the live view shows it while it
 * happens, not only the verdict later); when arming ends it records how long it took and how much
 * of the baseline it cost (`arming.done`: the history the engine's learned lead comes from).
 */
export class ArmingWatch {
  private readonly logger = new Logger(ArmingWatch.name);
  /** wall time, against the plan */
  private readonly startedAt: number;
  /** monotonic: how long arming took is what the engine's lead is learned from */
  private readonly began: number;
  private timer: NodeJS.Timeout | undefined;
  private overran: Promise<unknown> | undefined;

  constructor(
    private readonly deps: { runs: Pick<RunRepository, 'appendEvent'>; clock: Clock; engine: string },
    private readonly runId: string,
    private readonly ep: ExperimentPlan,
    /** how many faults this arming prepares (its steps, or its one fault): the lead is learned per fault */
    private readonly faults = 1,
  ) {
    this.startedAt = deps.clock.now().getTime();
    this.began = deps.clock.monotonicMs();
  }

  private get soFarMs(): number {
    return this.deps.clock.monotonicMs() - this.began;
  }

  start(): void {
    const wait = this.ep.baselineAt - this.deps.clock.now().getTime();
    if (wait <= 0) this.overrun();
    else this.timer = setTimeout(() => this.overrun(), wait);
  }

  /** How late arming began against its planned start (a run started late, e.g. a busy queue). */
  private get startedLateMs(): number {
    return Math.max(0, this.startedAt - this.ep.armAt);
  }

  /** Arming ended now, at `armedAt` by the wall clock (or failed then, with `error`): records how long it took. */
  async done(armedAt: number, error?: string): Promise<void> {
    clearTimeout(this.timer);
    const armingMs = this.soFarMs;
    await this.overran;
    const reservedMs = this.ep.baselineAt - this.ep.armAt;
    const baselineMs = this.ep.injectAt - this.ep.baselineAt;
    const lostMs = Math.max(0, Math.min(armedAt, this.ep.injectAt) - this.ep.baselineAt);
    // a quick failure (no target, a refused kernel) says nothing about how long arming takes here
    if (error && lostMs === 0) return;
    const took = describeArmingOverrun({ lostMs, baselineMs });
    // a run that started late began arming late: said, so the time is not blamed on the engine
    const began =
      this.startedLateMs >= 100
        ? `it began ${seconds(this.startedLateMs)} after its planned start and took ${seconds(armingMs)}`
        : `it took ${seconds(armingMs)}`;
    const message = error
      ? `arming failed after ${seconds(armingMs)}, past the baseline's planned start (${seconds(reservedMs)} were reserved): ${error}`
      : lostMs > 0
        ? `${took}: ${began}, ${seconds(reservedMs)} were reserved; the judged baseline starts now`
        : `armed in ${seconds(armingMs)} (${seconds(reservedMs)} reserved)`;
    await this.deps.runs.appendEvent(this.runId, {
      type: ARMING_EVENTS.done,
      phase: 'arming',
      experimentIndex: this.ep.index,
      message,
      data: {
        engine: this.deps.engine,
        armingMs,
        faults: this.faults,
        reservedMs,
        baselineMs,
        baselineLostMs: lostMs,
        startedLateMs: this.startedLateMs,
        ...(error ? { failed: true } : {}),
      },
    });
  }

  /** Stops the timer without recording anything (the run ended another way). */
  stop(): void {
    clearTimeout(this.timer);
  }

  private overrun(): void {
    const reservedMs = this.ep.baselineAt - this.ep.armAt;
    const baselineMs = this.ep.injectAt - this.ep.baselineAt;
    this.overran = this.deps.runs
      .appendEvent(this.runId, {
        type: ARMING_EVENTS.overran,
        phase: 'arming',
        experimentIndex: this.ep.index,
        plannedAt: new Date(this.ep.baselineAt),
        message:
          this.soFarMs < 100 && this.startedLateMs > 0
            ? `arming begins after the baseline's planned start (the run started ${seconds(this.startedLateMs)} late; ${seconds(reservedMs)} were reserved for arming): every second it takes comes off the ${seconds(baselineMs)} baseline`
            : `arming is still going at the baseline's planned start (${seconds(reservedMs)} were reserved for it): every second it takes now comes off the ${seconds(baselineMs)} baseline`,
        data: {
          reservedMs,
          baselineMs,
          armingSoFarMs: this.soFarMs,
          startedLateMs: this.startedLateMs,
        },
      })
      .catch((e: Error) => this.logger.warn(`recording the arming overrun: ${e.message}`));
  }
}

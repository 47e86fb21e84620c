import {
  describeGate,
  GATE_DECISION_LEAD_MS,
  GateMonitor,
  parseDurationMs,
  type GateResult,
  type PlannedGate,
} from '@gameday/core';
import { nowMs, type ExperimentContext } from './experiment-context';

const rounded = (n: number) => Math.round(n * 1000) / 1000;

/**
 * One gate step: from its start it judges the hypothesis samples of the fault window; met before
 * its decision instant (a second before its end), it passes and says so; not met by then, it
 * aborts the experiment, so every fault in place comes out and the steps after it never begin.
 */
export class GateLane {
  readonly opensAt: number;
  readonly decideAt: number;
  private readonly monitor: GateMonitor;
  private outcome: GateResult['outcome'] | 'open' = 'not_begun';
  private passedAt: number | null = null;

  constructor(
    private readonly ctx: ExperimentContext,
    private readonly planned: PlannedGate,
  ) {
    const g = planned.gate;
    this.opensAt = ctx.ep.injectAt + planned.offsetMs;
    this.decideAt = this.opensAt + planned.durationMs - GATE_DECISION_LEAD_MS;
    this.monitor = new GateMonitor({
      name: planned.name,
      metric: g.metric,
      comparator: g.atMost !== undefined ? 'atMost' : 'atLeast',
      bound: (g.atMost ?? g.atLeast)!,
      windowMs: parseDurationMs(g.window)!,
      forMs: parseDurationMs(g.for)!,
      minSamples: g.minSamples,
      probe: g.probe,
      opensAt: this.opensAt,
    });
    ctx.watch.onFaultSample((s) => {
      if (this.outcome !== 'open' || s.at + s.durationMs > this.decideAt) return;
      const passed = this.monitor.push(s, s.at + s.durationMs, s.probe);
      if (passed) void this.pass(passed.at, passed.actual);
    });
  }

  /** Waits for the gate's decision; `sleepUntil` rejects when the run stops first. */
  async run(sleepUntil: (at: number) => Promise<void>): Promise<void> {
    try {
      await sleepUntil(this.opensAt);
      this.outcome = 'open';
      await sleepUntil(this.decideAt);
    } catch (error) {
      if (this.outcome === 'open') this.outcome = 'aborted';
      throw error;
    }
    if (this.outcome !== 'open') return;
    this.outcome = 'failed';
    const last = this.monitor.last;
    this.ctx.control.abort({
      trigger: 'gate',
      reason: `gate "${this.planned.name}": ${this.condition()} not met by +${(this.decideAt - this.opensAt) / 1000}s (${last === null ? 'too few samples' : `last ${rounded(last)}`})`,
      at: nowMs(this.ctx),
    });
  }

  result(): GateResult {
    return {
      name: this.planned.name,
      condition: this.condition(),
      plannedStart: this.opensAt,
      plannedEnd: this.opensAt + this.planned.durationMs,
      passedAt: this.passedAt,
      actual: this.monitor.passed?.actual ?? this.monitor.last,
      // a gate still open when the run stopped for another reason was not judged to the end
      outcome: this.outcome === 'open' ? 'aborted' : this.outcome,
    };
  }

  private condition(): string {
    return describeGate(this.planned.gate);
  }

  private async pass(at: number, actual: number): Promise<void> {
    this.outcome = 'passed';
    this.passedAt = at;
    const { deps, runId, index } = this.ctx;
    await deps.runs
      .appendEvent(runId, {
        type: 'gate.passed',
        message: `gate "${this.planned.name}" passed ${Math.round(at - this.opensAt)} ms after it opened: ${this.condition()} (${rounded(actual)})`,
        phase: this.ctx.state.status,
        experimentIndex: index,
        data: { gate: this.planned.name, actual, afterMs: Math.round(at - this.opensAt) },
      })
      .catch(() => undefined);
  }
}

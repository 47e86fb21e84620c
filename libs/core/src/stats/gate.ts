import { metricOf, type GuardrailMetric } from './guardrail';
import type { Sample } from './summary';

/** "errorRate at most 0.01 over the last 10s, for 3s": what a gate step waits for. */
export interface Gate {
  name: string;
  metric: GuardrailMetric;
  /** met when the metric is at most (`atMost`) or at least (`atLeast`) the bound */
  comparator: 'atMost' | 'atLeast';
  bound: number;
  windowMs: number;
  /** how long the condition must hold; 0 = at once */
  forMs: number;
  /** no decision on fewer samples than this in the window; default 3 */
  minSamples?: number;
  /** judges only this probe's samples; every probe's when absent */
  probe?: string;
  /** the gate opens here (epoch ms): samples begun before it are not judged */
  opensAt: number;
}

export interface GatePassed {
  gate: string;
  actual: number;
  /** when the sample that completed the condition arrived (epoch ms) */
  at: number;
}

type ProbeSample = Sample & { probe?: string };

/** Feeds samples in arrival order; reports when the gate's condition has held long enough. Pure. */
export class GateMonitor {
  private readonly samples: ProbeSample[] = [];
  private metSince: number | null = null;
  private passedAt: GatePassed | null = null;
  /** the metric as last judged (reports name it when the gate fails) */
  last: number | null = null;

  constructor(private readonly gate: Gate) {}

  get passed(): GatePassed | null {
    return this.passedAt;
  }

  /** `now` is when the sample completed (epoch ms); `probe` names the probe it came from. */
  push(sample: Sample, now: number = sample.at + sample.durationMs, probe?: string): GatePassed | null {
    const g = this.gate;
    if (this.passedAt) return this.passedAt;
    if (sample.at < g.opensAt || (g.probe !== undefined && probe !== g.probe)) return null;
    this.samples.push({ ...sample, probe });
    while (this.samples.length > 0 && this.samples[0].at + this.samples[0].durationMs < now - g.windowMs)
      this.samples.shift();
    if (this.samples.length < (g.minSamples ?? 3)) return null;
    const actual = metricOf(this.samples, g.metric);
    this.last = actual;
    const met = actual !== null && (g.comparator === 'atMost' ? actual <= g.bound : actual >= g.bound);
    if (!met) {
      this.metSince = null;
      return null;
    }
    this.metSince ??= now;
    if (now - this.metSince < g.forMs) return null;
    this.passedAt = { gate: g.name, actual, at: now };
    return this.passedAt;
  }
}

import { summarize, type Sample, type SampleSummary } from './summary';

export type GuardrailMetric = 'errorRate' | 'p50Ms' | 'p95Ms' | 'p99Ms' | 'meanMs';

/** "errorRate > 0.5 for 5s over the last 10s": a stop condition evaluated during the fault window. */
export interface Guardrail {
  name: string;
  metric: GuardrailMetric;
  threshold: number;
  /** the sliding window the metric is computed over */
  windowMs: number;
  /** how long the metric must stay above the threshold before it counts as a breach; 0 = at once */
  forMs: number;
  /** no decision on fewer samples than this in the window; default 3 */
  minSamples?: number;
}

export interface GuardrailBreach {
  guardrail: string;
  metric: GuardrailMetric;
  threshold: number;
  actual: number;
  /** when the sample that completed the breach arrived (epoch ms) */
  at: number;
  reason: string;
}

function metricOf(summary: SampleSummary, metric: GuardrailMetric): number | null {
  return metric === 'errorRate' ? (summary.count === 0 ? null : summary.errorRate) : summary[metric];
}

/** Feeds samples in arrival order; reports the first breach. Pure: time comes with the samples. */
export class GuardrailMonitor {
  private readonly samples: Sample[] = [];
  private readonly aboveSince = new Map<string, number>();
  private breached: GuardrailBreach | null = null;

  constructor(private readonly guardrails: readonly Guardrail[]) {}

  get breach(): GuardrailBreach | null {
    return this.breached;
  }

  /** `now` is when the sample completed (epoch ms). */
  push(sample: Sample, now: number = sample.at + sample.durationMs): GuardrailBreach | null {
    if (this.breached) return this.breached;
    this.samples.push(sample);
    const longest = Math.max(0, ...this.guardrails.map((g) => g.windowMs));
    while (this.samples.length > 0 && this.samples[0].at + this.samples[0].durationMs < now - longest)
      this.samples.shift();

    for (const g of this.guardrails) {
      const inWindow = this.samples.filter((s) => s.at + s.durationMs >= now - g.windowMs);
      if (inWindow.length < (g.minSamples ?? 3)) continue;
      const actual = metricOf(summarize(inWindow), g.metric);
      if (actual === null || actual <= g.threshold) {
        this.aboveSince.delete(g.name);
        continue;
      }
      const since = this.aboveSince.get(g.name) ?? now;
      this.aboveSince.set(g.name, since);
      if (now - since >= g.forMs) {
        this.breached = {
          guardrail: g.name,
          metric: g.metric,
          threshold: g.threshold,
          actual,
          at: now,
          reason: `guardrail "${g.name}": ${g.metric} ${Math.round(actual * 1000) / 1000} > ${g.threshold} for ${now - since} ms (window ${g.windowMs} ms)`,
        };
        return this.breached;
      }
    }
    return null;
  }
}

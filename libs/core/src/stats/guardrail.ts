import { isMeasured, measureOf, summarize, type Sample, type SampleSummary } from './summary';

/** `value`: the latest measured sample (a prometheus probe's query value) */
export type GuardrailMetric = 'errorRate' | 'p50Ms' | 'p95Ms' | 'p99Ms' | 'meanMs' | 'value';

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
  /** judges only this probe's samples; every probe's when absent */
  probe?: string;
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

/** The metric over these samples; null when they cannot say (no sample, no measured one). */
export function metricOf(samples: readonly Sample[], metric: GuardrailMetric): number | null {
  if (metric === 'value') {
    const last = samples.filter(isMeasured).at(-1);
    return last ? measureOf(last) : null;
  }
  const summary: SampleSummary = summarize(samples);
  return metric === 'errorRate' ? (summary.count === 0 ? null : summary.errorRate) : summary[metric];
}

type ProbeSample = Sample & { probe?: string };

/** Feeds samples in arrival order; reports the first breach. Pure: time comes with the samples. */
export class GuardrailMonitor {
  private readonly samples: ProbeSample[] = [];
  private readonly aboveSince = new Map<string, number>();
  private breached: GuardrailBreach | null = null;

  constructor(private readonly guardrails: readonly Guardrail[]) {}

  get breach(): GuardrailBreach | null {
    return this.breached;
  }

  /** `now` is when the sample completed (epoch ms); `probe` names the probe it came from. */
  push(sample: Sample, now: number = sample.at + sample.durationMs, probe?: string): GuardrailBreach | null {
    if (this.breached) return this.breached;
    this.samples.push({ ...sample, probe });
    const longest = Math.max(0, ...this.guardrails.map((g) => g.windowMs));
    while (this.samples.length > 0 && this.samples[0].at + this.samples[0].durationMs < now - longest)
      this.samples.shift();

    for (const g of this.guardrails) {
      // a guardrail on one probe never judges another's samples (latencies and query values differ)
      const inWindow = this.samples.filter(
        (s) => (g.probe === undefined || s.probe === g.probe) && s.at + s.durationMs >= now - g.windowMs,
      );
      if (inWindow.length < (g.minSamples ?? 3)) continue;
      const actual = metricOf(inWindow, g.metric);
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

import { summarize, windowAt, type PlannedWindow, type RunPlan, type Sample, type SampleSummary } from '@gameday/core';

export interface RecordedSample extends Sample {
  probe: string;
  window: PlannedWindow;
}

export interface SampleSink {
  /** persists a batch (ProbeSample rows); must not throw for the run to go on */
  write(experimentIndex: number, samples: RecordedSample[]): Promise<void>;
  /** metrics for one sample */
  observe(experimentIndex: number, sample: RecordedSample): void;
}

/**
 * Buckets the samples of one experiment into its planned windows (by when the request started,
 * so a slow request sent during the fault counts for the fault), keeps them for the verdict and
 * flushes them to storage in batches.
 */
export class SampleRecorder {
  private readonly byWindow: Record<PlannedWindow, RecordedSample[]> = { baseline: [], fault: [], recovery: [] };
  private pending: RecordedSample[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private listeners: Array<(s: RecordedSample) => void> = [];

  constructor(
    private readonly plan: RunPlan,
    private readonly experimentIndex: number,
    private readonly sink: SampleSink,
  ) {}

  onSample(listener: (s: RecordedSample) => void): void {
    this.listeners.push(listener);
  }

  add(probe: string, sample: Sample): void {
    const slot = windowAt(this.plan, sample.at);
    // outside this experiment's windows (e.g. a probe sent before the baseline began): not evidence
    if (!slot || slot.experiment !== this.experimentIndex) return;
    const recorded: RecordedSample = { ...sample, probe, window: slot.window };
    this.byWindow[slot.window].push(recorded);
    this.pending.push(recorded);
    this.sink.observe(this.experimentIndex, recorded);
    for (const l of this.listeners) l(recorded);
  }

  samples(window: PlannedWindow): readonly RecordedSample[] {
    return this.byWindow[window];
  }

  summaries(filter?: (s: RecordedSample) => boolean): Record<PlannedWindow, SampleSummary> {
    const pick = (w: PlannedWindow) => summarize(filter ? this.byWindow[w].filter(filter) : this.byWindow[w]);
    return { baseline: pick('baseline'), fault: pick('fault'), recovery: pick('recovery') };
  }

  /** Writes what is pending; calls are serialised so batches land in order. */
  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.flushing = this.flushing.then(() => this.sink.write(this.experimentIndex, batch));
    return this.flushing;
  }
}

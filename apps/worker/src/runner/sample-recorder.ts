import {
  judgedWindowAt,
  summarize,
  windowAt,
  type JudgedWindow,
  type ObservedWindows,
  type PlannedWindow,
  type RunPlan,
  type Sample,
  type SampleSummary,
} from '@gameday/core';

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
 * Buckets the samples of one experiment into its planned windows as they arrive (metrics,
 * guardrails and stored rows need an answer now), keeps them, and at the end judges them by the
 * observed windows: by when the request started, against when the fault was really in place.
 * Flushes them to storage in batches.
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

  /**
   * Samples a previous executor of this run already measured and stored: evidence for the
   * verdict, but not written again, not observed again and not fed to guardrails.
   */
  restore(samples: RecordedSample[]): void {
    for (const s of samples) this.byWindow[s.window].push(s);
  }

  /** Samples of one observed window (samples taken in a gap between plan and reality belong to none). */
  judged(windows: ObservedWindows, window: JudgedWindow, filter?: (s: RecordedSample) => boolean): RecordedSample[] {
    const all = [...this.byWindow.baseline, ...this.byWindow.fault, ...this.byWindow.recovery];
    return all.filter((s) => judgedWindowAt(windows, s.at) === window && (!filter || filter(s)));
  }

  summaries(windows: ObservedWindows, filter?: (s: RecordedSample) => boolean): Record<JudgedWindow, SampleSummary> {
    const pick = (w: JudgedWindow) => summarize(this.judged(windows, w, filter));
    return { baseline: pick('baseline'), fault: pick('fault'), recovery: pick('recovery') };
  }

  /** Writes what is pending; calls are serialised so batches land in order. */
  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    // a failed batch is reported to its caller and must not stop the batches after it
    if (batch.length > 0)
      this.flushing = this.flushing.catch(() => undefined).then(() => this.sink.write(this.experimentIndex, batch));
    return this.flushing;
  }
}

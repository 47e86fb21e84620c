import {
  judgedWindowAt,
  LOAD_SERIES,
  emptyLoadAggregate,
  LoadAggregator,
  mergeInto,
  summarize,
  summarizeAggregates,
  type LoadAggregate,
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
  /** persists the load's aggregates of the last flush interval (LoadAggregate rows) */
  writeLoad(experimentIndex: number, aggregates: LoadAggregate[]): Promise<void>;
  /** metrics for one sample */
  observe(experimentIndex: number, sample: RecordedSample): void;
}

/**
 * Buckets the samples of one experiment into its planned windows as they arrive (metrics,
 * guardrails and stored rows need an answer now), keeps them, and at the end judges them by the
 * observed windows: by when the request started, against when the fault was really in place.
 * Flushes them to storage in batches. The load's answers (LOAD_SERIES) are kept and stored as
 * per-second aggregates instead: memory and rows grow with the run's length, not its rate.
 */
export class SampleRecorder {
  private readonly byWindow: Record<PlannedWindow, RecordedSample[]> = { baseline: [], fault: [], recovery: [] };
  private pending: RecordedSample[] = [];
  private readonly loadPending = new LoadAggregator();
  /** every load second so far, keyed by second and window */
  private readonly loadSeconds = new Map<string, LoadAggregate>();
  private loadUnwritten: LoadAggregate[] = [];
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
    if (probe === LOAD_SERIES) {
      this.loadPending.add(slot.window, sample);
      this.sink.observe(this.experimentIndex, recorded);
      return;
    }
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

  /** The load aggregates a previous executor of this run stored (see restore). */
  restoreLoad(aggregates: LoadAggregate[]): void {
    for (const a of aggregates) this.keepLoad(a);
  }

  /**
   * The load's summary per observed window. A second's aggregate is judged by the instant its
   * second began: the load is evidence of traffic, not part of the verdict, and to the second
   * is as fine as its rows are.
   */
  loadSummaries(windows: ObservedWindows): Record<JudgedWindow, SampleSummary> {
    this.collectLoad();
    const seconds = [...this.loadSeconds.values()];
    const pick = (w: JudgedWindow) => summarizeAggregates(seconds.filter((a) => judgedWindowAt(windows, a.at) === w));
    return { baseline: pick('baseline'), fault: pick('fault'), recovery: pick('recovery') };
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
    this.collectLoad();
    const load = this.loadUnwritten;
    this.loadUnwritten = [];
    if (batch.length === 0 && load.length === 0) return this.flushing;
    // a failed batch is reported to its caller and must not stop the batches after it
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(async () => {
        const written = await Promise.allSettled([
          batch.length > 0 ? this.sink.write(this.experimentIndex, batch) : undefined,
          load.length > 0 ? this.sink.writeLoad(this.experimentIndex, load) : undefined,
        ]);
        const failed = written.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
    return this.flushing;
  }

  /** Moves the load aggregated since the last call into the kept seconds and the next write. */
  private collectLoad(): void {
    const taken = this.loadPending.take();
    for (const a of taken) this.keepLoad(a);
    this.loadUnwritten.push(...taken);
  }

  private keepLoad(a: LoadAggregate): void {
    const key = `${a.at}|${a.window}`;
    const kept = this.loadSeconds.get(key);
    // a copy: the stored batch must not change under its writer when later answers merge in
    if (kept) mergeInto(kept, a);
    else this.loadSeconds.set(key, mergeInto(emptyLoadAggregate(a.at, a.window), a));
  }
}

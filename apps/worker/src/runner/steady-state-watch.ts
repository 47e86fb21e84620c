import { Logger } from '@nestjs/common';
import {
  baselineLostToArming,
  evaluateHypothesis,
  GuardrailMonitor,
  LOAD_SERIES,
  parseDurationMs,
  timeToRecoverMs,
  type Clock,
  type ExperimentSpec,
  type LoadAggregate,
  type ObservedWindows,
  type ProbeSpec,
  type RunPlan,
  type SampleSummary,
  type VerdictResult,
} from '@gameday/core';
import type { ProbeSampleRepository } from '@gameday/db';
import type { GameDayMetrics } from '@gameday/metrics';
import { LoadGenerator, ProbeLoop, type EgressGuard, type LoopProbe } from '@gameday/probes';
import type { RunControl } from './run-control';
import { SampleRecorder, type RecordedSample } from './sample-recorder';

type Windowed = Record<'baseline' | 'fault' | 'recovery', SampleSummary>;

export interface SteadyStateJudgement {
  stats: Windowed;
  probes: Record<string, Windowed>;
  verdict: VerdictResult;
  timeToRecoverMs: number | null;
}

const FLUSH_EVERY_MS = 1_000;

function loopProbe(p: ProbeSpec): LoopProbe {
  if (p.kind === 'prometheus')
    return { kind: 'prometheus', name: p.name, query: p.query, min: p.min, max: p.max, timeoutMs: p.timeoutMs };
  const { name, url, method, headers, body, expectedStatus, timeoutMs } = p;
  return { name, url, method, headers, body, expectedStatus, timeoutMs };
}
const isHypothesisSample = (s: RecordedSample) => s.probe !== LOAD_SERIES;

/**
 * Measures the steady state of one experiment: the hypothesis probes and the optional load, their
 * samples (metrics live, rows flushed every second), the guardrails that abort the run on a
 * breach during the fault window, and finally the verdict over the observed windows.
 */
export class SteadyStateWatch {
  private readonly logger = new Logger(SteadyStateWatch.name);
  private readonly recorder: SampleRecorder;
  private readonly loops: ProbeLoop[];
  private readonly load?: LoadGenerator;
  private flusher?: NodeJS.Timeout;

  constructor(
    private readonly exp: ExperimentSpec,
    plan: RunPlan,
    index: number,
    deps: {
      runId: string;
      gameDay: string;
      samples: ProbeSampleRepository;
      metrics: GameDayMetrics;
      /** probes and load go only where the egress policy allows */
      egress: EgressGuard;
      /** where prometheus probes are evaluated (GAMEDAY_PROMETHEUS_URL) */
      prometheusUrl?: string;
      /** a breach's instant: abort latency is measured from it */
      clock: Clock;
    },
    control: RunControl,
  ) {
    const labels = { gameday: deps.gameDay, experiment: exp.name };
    this.recorder = new SampleRecorder(plan, index, {
      write: (i, batch) =>
        deps.samples.append(
          deps.runId,
          i,
          batch.map((s) => ({ ...s, phase: s.window })),
        ),
      writeLoad: (i, aggregates) =>
        deps.samples.appendLoad(
          deps.runId,
          i,
          aggregates.map(({ window, ...a }) => ({ ...a, phase: window })),
        ),
      observe: (_i, s) => {
        const outcome = s.ok ? 'ok' : (s.errorKind ?? 'error');
        deps.metrics.probeDuration.observe(
          { ...labels, probe: s.probe, phase: s.window, outcome },
          s.durationMs / 1000,
        );
        deps.metrics.probeRequests.inc({ ...labels, probe: s.probe, phase: s.window, outcome });
      },
    });
    this.watchGuardrails(control, deps.clock);
    this.loops = exp.hypothesis.probes.map(
      (p) =>
        new ProbeLoop([loopProbe(p)], {
          intervalMs: parseDurationMs(p.interval)!,
          onSample: (name, s) => this.recorder.add(name, s),
          egress: deps.egress,
          prometheusUrl: deps.prometheusUrl,
        }),
    );
    if (exp.load)
      this.load = new LoadGenerator(
        {
          url: exp.load.url,
          rate: exp.load.rate,
          concurrency: exp.load.concurrency,
          method: exp.load.method,
          headers: exp.load.headers,
          body: exp.load.body,
          timeoutMs: exp.load.timeoutMs,
        },
        (s) => this.recorder.add(LOAD_SERIES, s),
        deps.egress,
      );
  }

  /** Samples a previous executor of this run stored (a resumed run): judged, not written again. */
  restore(samples: RecordedSample[]): void {
    this.recorder.restore(samples);
  }

  restoreLoad(aggregates: LoadAggregate[]): void {
    this.recorder.restoreLoad(aggregates);
  }

  start(): void {
    for (const l of this.loops) l.start();
    this.load?.start();
    this.flusher = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
  }

  /** Stops probes and load and writes what is pending; safe to call twice. */
  async stop(): Promise<void> {
    clearInterval(this.flusher);
    await Promise.allSettled([...this.loops.map((l) => l.stop()), this.load?.stop()]);
    await this.flush();
  }

  /** The verdict over the windows as they really were (see observedWindows). */
  judge(windows: ObservedWindows, revertedAt: number, abortReason?: string): SteadyStateJudgement {
    const stats = this.recorder.summaries(windows, isHypothesisSample);
    // a baseline arming ate into is named as such in the verdict
    const verdict = evaluateHypothesis(
      stats,
      this.exp.hypothesis.tolerances ?? {},
      abortReason,
      baselineLostToArming(windows),
    );
    const probes: Record<string, Windowed> = Object.fromEntries(
      this.exp.hypothesis.probes.map((p) => [p.name, this.recorder.summaries(windows, (s) => s.probe === p.name)]),
    );
    if (this.exp.load) probes[LOAD_SERIES] = this.recorder.loadSummaries(windows);
    // time to recover counts from the actual revert, settling included
    const afterRevert = {
      ...windows,
      observed: { ...windows.observed, recovery: { ...windows.observed.recovery, from: revertedAt } },
    };
    const ttr = timeToRecoverMs(
      this.recorder.judged(afterRevert, 'recovery', isHypothesisSample),
      revertedAt,
      stats.baseline.p95Ms,
    );
    return { stats, probes, verdict, timeToRecoverMs: ttr };
  }

  /** Each hypothesis sample of the fault window as it arrives (gate steps judge them). */
  onFaultSample(listener: (s: RecordedSample) => void): void {
    this.recorder.onSample((s) => {
      if (s.window === 'fault' && isHypothesisSample(s)) listener(s);
    });
  }

  private watchGuardrails(control: RunControl, clock: Clock): void {
    const guardrails = this.exp.guardrails ?? [];
    const monitor = new GuardrailMonitor(
      guardrails.map((g) => ({
        name: g.name,
        metric: g.metric,
        threshold: g.threshold,
        windowMs: parseDurationMs(g.window)!,
        forMs: parseDurationMs(g.for)!,
        minSamples: g.minSamples,
        probe: g.probe,
      })),
    );
    this.recorder.onSample((s) => {
      if (s.window !== 'fault' || control.aborted) return;
      // guardrails judge the hypothesis probes; the load only makes traffic
      const relevant = isHypothesisSample(s) && guardrails.some((g) => g.probe === undefined || g.probe === s.probe);
      if (!relevant) return;
      const breach = monitor.push(s, s.at + s.durationMs, s.probe);
      if (breach) control.abort({ trigger: 'guardrail', reason: breach.reason, at: clock.now().getTime() });
    });
  }

  private flush(): Promise<void> {
    return this.recorder.flush().catch((e) => this.logger.warn(`sample flush: ${(e as Error).message}`));
  }
}

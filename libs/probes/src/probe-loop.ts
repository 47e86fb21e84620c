import { systemClock, type Clock, type Sample } from '@gameday/core';
import type { EgressGuard } from './egress-guard';
import { probeOnce, type HttpProbeSpec } from './http-probe';
import { queryOnce, type PrometheusQuerySpec } from './prometheus-probe';

export type LoopProbe = HttpProbeSpec | PrometheusQuerySpec;

export interface ProbeLoopOptions {
  intervalMs: number;
  onSample: (probe: string, sample: Sample) => void;
  /** checks every request against the egress policy (denied ones are recorded, not sent) */
  egress?: EgressGuard;
  /**
   * Requests of one probe in flight at most (default 32): a target that stops answering must not
   * pile up sockets and memory in the worker until the timeout (60 s at 50 ms is 1 200 requests).
   * A tick that finds the probe at its cap is skipped and counted in `skipped`.
   */
  maxInFlight?: number;
  /** where prometheus probes are evaluated (the service's configured Prometheus) */
  prometheusUrl?: string;
  /** a sample's instant; the system clock by default */
  clock?: Clock;
}

export const DEFAULT_MAX_IN_FLIGHT = 32;

/**
 * Fires a probe every interval on a fixed cadence: a slow answer does not delay the next probe
 * (that would hide exactly the slowness being measured), so requests may overlap.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perProbe = new Map<string, number>();
  /** ticks skipped because the probe had maxInFlight requests outstanding */
  skipped = 0;
  /** samples onSample threw on (they are dropped: a probe never takes its process down) */
  lost = 0;

  constructor(
    private readonly probes: readonly LoopProbe[],
    private readonly options: ProbeLoopOptions,
  ) {
    if (probes.some((p) => p.kind === 'prometheus') && !options.prometheusUrl)
      throw new Error('a prometheus probe needs a Prometheus URL (GAMEDAY_PROMETHEUS_URL)');
  }

  /** Never rejects: whatever fails, synchronously or not, is a sample. */
  private async sample(probe: LoopProbe): Promise<Sample> {
    const clock = this.options.clock ?? systemClock;
    const at = clock.now().getTime();
    const started = clock.monotonicMs();
    try {
      return probe.kind === 'prometheus'
        ? await queryOnce(probe, this.options.prometheusUrl!, clock)
        : await probeOnce(probe, this.options.egress, clock);
    } catch {
      // a query that failed has no value to judge (UNMEASURED_ERROR_KINDS); a request never sent
      const errorKind = probe.kind === 'prometheus' ? 'query_error' : 'invalid_request';
      return { at, durationMs: Math.round(clock.monotonicMs() - started), ok: false, errorKind };
    }
  }

  private deliver(name: string, sample: Sample): void {
    try {
      this.options.onSample(name, sample);
    } catch {
      this.lost++;
    }
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      const cap = this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
      for (const probe of this.probes) {
        const outstanding = this.perProbe.get(probe.name) ?? 0;
        if (outstanding >= cap) {
          this.skipped++;
          continue;
        }
        this.perProbe.set(probe.name, outstanding + 1);
        const p = this.sample(probe).then((s) => this.deliver(probe.name, s));
        this.inFlight.add(p);
        void p.finally(() => {
          this.inFlight.delete(p);
          this.perProbe.set(probe.name, (this.perProbe.get(probe.name) ?? 1) - 1);
        });
      }
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs);
  }

  /** Stops firing and waits for requests in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }
}

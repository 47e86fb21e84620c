import type { Sample } from '@gameday/core';
import type { EgressGuard } from './egress-guard';
import { probeOnce, type HttpProbeSpec } from './http-probe';

export interface ProbeLoopOptions {
  intervalMs: number;
  onSample: (probe: string, sample: Sample) => void;
  /** checks every request against the egress policy (denied ones are recorded, not sent) */
  egress?: EgressGuard;
}

/**
 * Fires a probe every interval on a fixed cadence: a slow answer does not delay the next probe
 * (that would hide exactly the slowness being measured), so requests may overlap.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly probes: readonly HttpProbeSpec[],
    private readonly options: ProbeLoopOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      for (const probe of this.probes) {
        const p = probeOnce(probe, this.options.egress).then((s) => this.options.onSample(probe.name, s));
        this.inFlight.add(p);
        void p.finally(() => this.inFlight.delete(p));
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

// The host's view of a lab target: a request every few milliseconds on a fresh connection, each
// one sample (its start, how long it took, what failed), so a fault's start and end show up
// with that resolution whatever the fault does to the connection.
import http from 'node:http';
import { REQUEST_TIMEOUT_MS, type LatencySample } from './trial-faults';

/** Asks every `everyMs`, whether or not the previous request has finished. */
export class LatencyWatcher {
  readonly samples: LatencySample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<void>>();
  private maxInflight = Infinity;

  constructor(
    private url: string,
    private readonly everyMs = 50,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.inflight.size >= this.maxInflight) return;
      const p = this.once().finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }, this.everyMs);
  }

  /**
   * Asks `url` from now on (a trial's probe of the target), with at most `maxInflight` requests
   * out at once: a tick while that many are out is skipped. A CGI probe forks several processes
   * in the one-vCPU guest per request (200-1 000 ms at four a second on a quiet guest); unbounded,
   * a busy moment (an arming beside it) made them pile up faster than they ended, until the guest
   * ran at load 80 and every request, and the target's peer, timed out from before T0 on.
   */
  aim(url: string, maxInflight = Infinity): void {
    this.url = url;
    this.maxInflight = maxInflight;
  }

  /** Stops sending; what was seen stays, and start() resumes. */
  pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async stop(): Promise<void> {
    this.pause();
    await Promise.all(this.inflight);
  }

  /** Samples started in [from, to), in start order. */
  between(from: number, to: number): LatencySample[] {
    return this.samples
      .filter((s) => s.startedAt >= from && s.startedAt < to)
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  private once(): Promise<void> {
    const startedAt = Date.now();
    const t0 = performance.now();
    return new Promise((resolve) => {
      // One sample per request, whichever ends it first: the body's end; an error before the
      // response (refused, reset, the idle timeout); an error of the response itself (a target
      // killed mid-response: the response errors and the request never does); or the overall
      // guard (a response stalled half-way). A request that never settled kept stop() waiting.
      let settled = false;
      const settle = (error?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        this.samples.push({ startedAt, ms: performance.now() - t0, ...(error ? { error } : {}) });
        resolve();
      };
      const req = http.get(this.url, { agent: false, timeout: this.timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => settle(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`));
        res.on('error', (err) => settle(err.message));
        res.on('close', () => settle('response closed before its end'));
      });
      const guard = setTimeout(() => {
        req.destroy(new Error('timeout'));
        settle('timeout');
      }, this.timeoutMs * 2);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => settle(err.message));
    });
  }
}

/**
 * What the host's requests met, per second from T0, for a failure message: how many answered,
 * failed (by error) or are still out, and the slowest.
 */
export function describeSamples(samples: LatencySample[], plannedStart: number): string {
  const bySecond = new Map<number, LatencySample[]>();
  for (const s of samples) {
    const sec = Math.floor((s.startedAt - plannedStart) / 1_000);
    bySecond.set(sec, [...(bySecond.get(sec) ?? []), s]);
  }
  if (bySecond.size === 0) return 'none';
  return [...bySecond.entries()]
    .map(([sec, xs]) => {
      const counts = new Map<string, number>();
      for (const x of xs) counts.set(x.error ?? 'ok', (counts.get(x.error ?? 'ok') ?? 0) + 1);
      const slowest = Math.max(...xs.map((x) => x.ms));
      return `T0${sec >= 0 ? '+' : ''}${sec}s ${[...counts].map(([k, n]) => `${k}×${n}`).join(' ')} (slowest ${Math.round(slowest)} ms)`;
    })
    .join('; ');
}

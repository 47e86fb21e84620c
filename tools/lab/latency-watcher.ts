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

  constructor(
    private url: string,
    private readonly everyMs = 50,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const p = this.once().finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }, this.everyMs);
  }

  /** Asks `url` from now on (a trial's probe of the target). */
  aim(url: string): void {
    this.url = url;
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

import autocannon from 'autocannon';
import type { Sample } from '@gameday/core';
import type { EgressGuard } from './egress-guard';

export interface LoadSpec {
  url: string;
  /** requests per second over all connections */
  rate: number;
  concurrency: number;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  expectedStatus?: number[];
}

/**
 * Steady load on the system under test (the classic session ran `ab -n 1000 -c 5`), driven by
 * autocannon at a fixed overall rate. Every answer becomes a sample.
 */
export class LoadGenerator {
  private instance: autocannon.Instance | undefined;
  private done: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly spec: LoadSpec,
    private readonly onSample: (sample: Sample) => void,
    private readonly egress?: EgressGuard,
  ) {}

  start(): void {
    if (this.starting) return;
    this.starting = this.begin();
  }

  /**
   * With an egress guard the target is resolved and checked once; autocannon then connects to
   * the checked address (Host and TLS server name kept), so DNS cannot move it elsewhere. A
   * denied target gets one `egress_denied` sample and no traffic.
   */
  private async begin(): Promise<void> {
    const { spec } = this;
    let url = spec.url;
    let headers = spec.headers;
    let servername: string | undefined;
    if (this.egress) {
      const checked = await this.egress.check(spec.url);
      if (!checked.ok) {
        this.onSample({ at: Date.now(), durationMs: 0, ok: false, errorKind: checked.kind });
        return;
      }
      const u = new URL(spec.url);
      const address = checked.addresses[0].address;
      headers = { ...spec.headers, host: u.host };
      servername = u.hostname;
      u.hostname = address.includes(':') ? `[${address}]` : address;
      url = u.toString();
    }
    if (this.stopped) return;
    let finished!: () => void;
    this.done = new Promise((resolve) => (finished = resolve));
    const instance = autocannon(
      {
        url,
        ...(servername ? { servername } : {}),
        method: spec.method ?? 'GET',
        headers,
        body: spec.body,
        connections: spec.concurrency,
        overallRate: spec.rate,
        // seconds; autocannon needs an end, the caller stops it earlier
        duration: 24 * 3600,
        timeout: Math.max(1, Math.ceil(spec.timeoutMs / 1000)),
        // latencies are corrected for coordinated omission only when asked; we record raw answers
        ignoreCoordinatedOmission: true,
      },
      () => finished(),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      const now = Date.now();
      const ok = spec.expectedStatus ? spec.expectedStatus.includes(statusCode) : statusCode >= 200 && statusCode < 400;
      this.onSample({
        at: now - responseTime,
        durationMs: responseTime,
        ok,
        status: statusCode,
        ...(ok ? {} : { errorKind: 'status_mismatch' }),
      });
    });
    instance.on('reqError', (error: NodeJS.ErrnoException) => {
      const now = Date.now();
      const timeout = /timeout/i.test(error?.message ?? '') || error?.code === 'ETIMEDOUT';
      this.onSample({
        at: now - (timeout ? spec.timeoutMs : 0),
        durationMs: timeout ? spec.timeoutMs : 0,
        ok: false,
        errorKind: timeout ? 'timeout' : 'network',
      });
    });
    this.instance = instance;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    if (!this.instance) return;
    this.instance.stop();
    await this.done;
    this.instance = undefined;
  }
}

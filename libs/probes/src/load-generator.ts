import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { headersProblem, systemClock, type Sample } from '@gameday/core';
import type { EgressGuard } from './egress-guard';
import { unpackLoadSamples } from './load-sample-batch';
import type { LoadThreadInput, LoadThreadMessage } from './load-thread';

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

/** The thread's entry beside this file: .ts under a TypeScript loader (tests, lab), .js when built. */
function threadEntry(): { file: string; execArgv: string[] } {
  const ext = extname(__filename);
  return {
    file: join(__dirname, `load-thread${ext}`),
    execArgv: ext === '.ts' ? ['-r', '@swc-node/register'] : [],
  };
}

/** How long a stopped load may take to finish its requests in flight before its thread is ended. */
const STOP_GRACE_MS = 10_000;

/**
 * Steady load on the system under test (the classic session ran `ab -n 1000 -c 5`), driven by
 * autocannon at a fixed overall rate in a thread of its own (load-thread.ts): a flat-out load
 * cannot stall the executor's event loop, nor a stalled executor the load. Every answer becomes a
 * sample, delivered here in batches.
 */
export class LoadGenerator {
  private thread: Worker | undefined;
  private done: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;
  private unwatch: (() => void) | undefined;
  private startedResolve!: () => void;
  /** resolves when the load's thread is sending (or never will: denied, stopped, failed) */
  readonly started = new Promise<void>((resolve) => (this.startedResolve = resolve));

  constructor(
    private readonly spec: LoadSpec,
    private readonly onSample: (sample: Sample) => void,
    private readonly egress?: EgressGuard,
  ) {}

  start(): void {
    if (this.starting) return;
    this.starting = this.begin().finally(() => {
      if (!this.thread) this.startedResolve();
    });
  }

  /**
   * With an egress guard the target is resolved and checked once; autocannon then connects to
   * the checked address (Host and TLS server name kept), so DNS cannot move it elsewhere. A
   * denied target gets one `egress_denied` sample and no traffic. Never rejects: whatever fails
   * before the thread runs is one sample and no traffic.
   */
  private async begin(): Promise<void> {
    try {
      await this.launch();
    } catch {
      this.failed('load_error');
    }
  }

  private failed(errorKind: string): void {
    this.deliver({ at: systemClock.now().getTime(), durationMs: 0, ok: false, errorKind });
  }

  /** A sample that cannot be recorded is dropped: it must not take the process down from an event. */
  private readonly deliver = (sample: Sample): void => {
    try {
      this.onSample(sample);
    } catch {
      // dropped
    }
  };

  private async launch(): Promise<void> {
    const { spec } = this;
    // autocannon writes headers into the request as raw text: a CR/LF in one (a row stored before
    // the API checked them) would be a second header or a second request on the connection
    if (headersProblem(spec.headers) !== undefined) return this.failed('invalid_request');
    let url = spec.url;
    let headers = spec.headers;
    let servername: string | undefined;
    if (this.egress) {
      const checked = await this.egress.check(spec.url);
      if (!checked.ok) return this.failed(checked.kind);
      // checked again while the load runs, as it connects again and again; a refusal ends the
      // thread at once (autocannon's own stop takes up to a second)
      this.unwatch = this.egress.watch(checked, (denied) => {
        this.failed(denied.kind);
        void this.thread?.terminate();
      });
      const u = new URL(spec.url);
      const address = checked.addresses[0].address;
      headers = { ...spec.headers, host: u.host };
      servername = u.hostname;
      u.hostname = address.includes(':') ? `[${address}]` : address;
      url = u.toString();
    }
    if (this.stopped) return;
    const input: LoadThreadInput = {
      url,
      ...(servername ? { servername } : {}),
      method: spec.method ?? 'GET',
      headers,
      body: spec.body,
      concurrency: spec.concurrency,
      rate: spec.rate,
      timeoutMs: spec.timeoutMs,
      expectedStatus: spec.expectedStatus,
    };
    const entry = threadEntry();
    const thread = new Worker(entry.file, { workerData: { loadThread: input }, execArgv: entry.execArgv });
    this.thread = thread;
    thread.on('message', (m: LoadThreadMessage) => {
      if (m.type === 'started') this.startedResolve();
      else if (m.type === 'samples') unpackLoadSamples(m.packed, this.deliver);
    });
    this.done = new Promise((resolve) => {
      thread.once('exit', () => {
        this.startedResolve();
        resolve();
      });
      // a thread that fails (autocannon refused the options) is a load that made no traffic
      thread.once('error', () => this.failed('load_error'));
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    this.unwatch?.();
    const thread = this.thread;
    if (!thread) return;
    thread.postMessage('stop');
    const grace = setTimeout(() => void thread.terminate(), STOP_GRACE_MS);
    await this.done;
    clearTimeout(grace);
    this.thread = undefined;
  }
}

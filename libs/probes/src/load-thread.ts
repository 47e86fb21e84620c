// The load generator's thread: autocannon runs here, so a flat-out load never stalls the
// executor's event loop (its timers, probes, guardrails and aborts), and a stalled executor never
// pauses the load. Samples go back to the parent in batches, packed as numbers (load-sample-batch.ts).
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import { LoadSampleBatch } from './load-sample-batch';

/** What the thread is given: the request, already checked against the egress policy. */
export interface LoadThreadInput {
  url: string;
  /** TLS server name when the URL names a checked address instead of the host */
  servername?: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  concurrency: number;
  rate: number;
  timeoutMs: number;
  expectedStatus?: number[];
}

/** thread → parent; the parent sends the string 'stop' */
export type LoadThreadMessage = { type: 'started' } | { type: 'samples'; packed: Float64Array } | { type: 'done' };

const BATCH_EVERY_MS = 100;

function run(input: LoadThreadInput, port: NonNullable<typeof parentPort>): void {
  const post = (m: LoadThreadMessage, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
  const batch = new LoadSampleBatch();
  const flush = () => {
    if (batch.length === 0) return;
    const packed = batch.take();
    post({ type: 'samples', packed }, [packed.buffer]);
  };
  const flusher = setInterval(flush, BATCH_EVERY_MS);
  const instance = autocannon(
    {
      url: input.url,
      ...(input.servername ? { servername: input.servername } : {}),
      method: input.method as autocannon.Request['method'],
      headers: input.headers,
      body: input.body,
      connections: input.concurrency,
      overallRate: input.rate,
      // seconds; autocannon needs an end, the parent stops it earlier
      duration: 24 * 3600,
      timeout: Math.max(1, Math.ceil(input.timeoutMs / 1000)),
      // latencies are corrected for coordinated omission only when asked; we record raw answers
      ignoreCoordinatedOmission: true,
    },
    () => {
      clearInterval(flusher);
      flush();
      post({ type: 'done' });
      port.close();
    },
  );
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    // the thread starts from this file alone (no app modules): its instants are the system clock's
    // eslint-disable-next-line no-restricted-syntax
    const now = Date.now();
    const ok = input.expectedStatus ? input.expectedStatus.includes(statusCode) : statusCode >= 200 && statusCode < 400;
    batch.push(now - responseTime, responseTime, statusCode, ok ? undefined : 'status_mismatch');
  });
  instance.on('reqError', (error: NodeJS.ErrnoException) => {
    // eslint-disable-next-line no-restricted-syntax
    const now = Date.now();
    const timeout = /timeout/i.test(error?.message ?? '') || error?.code === 'ETIMEDOUT';
    batch.push(
      now - (timeout ? input.timeoutMs : 0),
      timeout ? input.timeoutMs : 0,
      undefined,
      timeout ? 'timeout' : 'network',
    );
  });
  port.on('message', (m: unknown) => {
    if (m === 'stop') instance.stop();
  });
  post({ type: 'started' });
}

if (!isMainThread && parentPort && (workerData as { loadThread?: LoadThreadInput } | null)?.loadThread)
  run((workerData as { loadThread: LoadThreadInput }).loadThread, parentPort);

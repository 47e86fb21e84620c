// Host-side HTTP latency probe: every request on a fresh TCP connection, so each sample pays the
// handshake (the way a fault shows up for a new client).
import http from 'node:http';

export interface HttpProbeResult {
  samples: number[];
  errors: string[];
}

function once(url: string, timeoutMs: number): Promise<{ ms: number; error?: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve(
          res.statusCode === 200 ? { ms: performance.now() - started } : { ms: 0, error: `HTTP ${res.statusCode}` },
        ),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ms: 0, error: err.message }));
  });
}

/**
 * `count` requests from `concurrency` workers; `staggerMs` spreads the workers' first requests so
 * a one-vCPU lab guest is not asked to serve them all at the same instant.
 */
export async function httpProbe(
  url: string,
  count: number,
  concurrency = 1,
  staggerMs = 0,
  timeoutMs = 10_000,
): Promise<HttpProbeResult> {
  const samples: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const worker = async (_: unknown, index: number): Promise<void> => {
    if (staggerMs) await new Promise((ok) => setTimeout(ok, index * staggerMs));
    while (next < count) {
      next++;
      const r = await once(url, timeoutMs);
      if (r.error) errors.push(r.error);
      else samples.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, worker));
  return { samples, errors };
}

/** Retries until the URL answers 200 (a freshly started container's server). */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await once(url, 2_000);
    if (!r.error) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms: ${r.error}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

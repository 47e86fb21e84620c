import type { Sample } from '@gameday/core';
import { ProbeLoop } from '@gameday/probes';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A target that stops answering must not make the worker pile up requests until their timeout:
 * each probe has a cap on requests in flight.
 */
describe('security: bounded probe concurrency', () => {
  let server: http.Server;
  let port = 0;
  let received = 0;

  beforeAll(async () => {
    // accepts every request and never answers
    server = http.createServer(() => received++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('a hanging target sees at most maxInFlight requests of a probe; further ticks are skipped and counted', async () => {
    received = 0;
    const samples: Sample[] = [];
    // a timeout far beyond the wait: no request ends before the server drops them
    const loop = new ProbeLoop([{ name: 'hang', url: `http://127.0.0.1:${port}/`, timeoutMs: 60_000 }], {
      intervalMs: 20,
      onSample: (_n, s) => samples.push(s),
      maxInFlight: 5,
    });
    loop.start();
    // as many ticks as it takes, not a fixed 600 ms: on a loaded host the 20 ms timer fired 15
    // times in 600 ms, and ten skips were not "more than ten"
    const deadline = Date.now() + 20_000;
    while (loop.skipped <= 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(loop.skipped).toBeGreaterThan(10);
    expect(received).toBe(5);
    server.closeAllConnections();
    await loop.stop();
    expect(samples).toHaveLength(5);
  });
});

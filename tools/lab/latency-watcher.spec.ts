import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeSamples, LatencyWatcher } from './latency-watcher';

// A target killed mid-response (a process kill trial) resets a response that has begun: the
// response errors, the request does not. Each request must still end as one sample, or stop()
// waits for it for ever (a rollback file's teardown overran its time that way).
describe('LatencyWatcher', () => {
  let mode: 'ok' | 'reset' | 'stall' | 'slow' = 'ok';
  let open = 0;
  let mostOpen = 0;
  const server = http.createServer((_req, res) => {
    if (mode === 'ok') return void res.end('ok');
    if (mode === 'slow') {
      mostOpen = Math.max(mostOpen, ++open);
      return void setTimeout(() => {
        open--;
        res.end('ok');
      }, 200);
    }
    res.writeHead(200, { 'content-length': '100' });
    res.write('abc');
    if (mode === 'reset') setTimeout(() => res.socket?.destroy(), 20);
  });
  let url = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function watch(m: typeof mode) {
    mode = m;
    const watcher = new LatencyWatcher(url, 50, 300);
    watcher.start();
    await new Promise((resolve) => setTimeout(resolve, 120));
    await watcher.stop();
    return watcher.samples;
  }

  it('counts a fast answer as a clean sample', async () => {
    const samples = await watch('ok');
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s.error === undefined)).toBe(true);
  });

  it('ends a request whose response was reset half-way with an error sample', async () => {
    const samples = await watch('reset');
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s.error === 'aborted')).toBe(true);
  });

  it('ends a request whose response stalled half-way by its guard', async () => {
    const samples = await watch('stall');
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s.error === 'timeout')).toBe(true);
    expect(Math.max(...samples.map((s) => s.ms))).toBeLessThan(2_000);
  });

  // a CGI probe in the one-vCPU guest: unbounded, requests piled up faster than they ended there
  it('keeps at most maxInflight requests out once aimed so, skipping ticks meanwhile', async () => {
    mode = 'slow';
    mostOpen = 0;
    const watcher = new LatencyWatcher(url, 20, 2_000);
    watcher.aim(url, 1);
    watcher.start();
    await new Promise((resolve) => setTimeout(resolve, 700));
    await watcher.stop();
    expect(mostOpen).toBe(1);
    expect(watcher.samples.length).toBeGreaterThanOrEqual(2);
    expect(watcher.samples.length).toBeLessThanOrEqual(4);
    // unbounded (the default), the same ticks overlap
    mostOpen = 0;
    const unbounded = new LatencyWatcher(url, 20, 2_000);
    unbounded.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await unbounded.stop();
    expect(mostOpen).toBeGreaterThan(3);
  });
});

describe('describeSamples', () => {
  it('counts what the requests met per second from T0, with the slowest', () => {
    const t0 = 1_000_000;
    const line = describeSamples(
      [
        { startedAt: t0 - 900, ms: 40 },
        { startedAt: t0 - 100, ms: 3_004, error: 'timeout' },
        { startedAt: t0 + 200, ms: 12, error: 'HTTP 503' },
        { startedAt: t0 + 700, ms: 15, error: 'HTTP 503' },
      ],
      t0,
    );
    expect(line).toBe('T0-1s ok×1 timeout×1 (slowest 3004 ms); T0+0s HTTP 503×2 (slowest 15 ms)');
    expect(describeSamples([], t0)).toBe('none');
  });
});

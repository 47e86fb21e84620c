import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LatencyWatcher } from './latency-watcher';

// A target killed mid-response (a process kill trial) resets a response that has begun: the
// response errors, the request does not. Each request must still end as one sample, or stop()
// waits for it for ever (a rollback file's teardown overran its time that way).
describe('LatencyWatcher', () => {
  let mode: 'ok' | 'reset' | 'stall' = 'ok';
  const server = http.createServer((_req, res) => {
    if (mode === 'ok') return void res.end('ok');
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
});

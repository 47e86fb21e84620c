import { createServer, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { fetchUpstream } from '../../../demo-system/src/service1/upstream.client';

// service1's upstream client against a real local HTTP server: one new connection per request
// (the demo's slowness depends on it), the timeout covering the whole exchange, and the upstream
// request really aborted when the timeout fires.
describe('fetchUpstream', () => {
  let server: Server;
  let url = '';
  const sockets = new Set<Socket>();
  let delayMs = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      setTimeout(() => res.end('<h1>Data</h1>'), delayMs);
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  beforeEach(() => {
    sockets.clear();
    delayMs = 0;
  });

  it('opens a new connection for every request', async () => {
    for (let i = 0; i < 3; i++)
      await expect(fetchUpstream(url, undefined)).resolves.toEqual({ kind: 'ok', status: 200, body: '<h1>Data</h1>' });
    expect(sockets.size).toBe(3);
  });

  it('gives up at the timeout and closes the upstream connection', async () => {
    delayMs = 1000;
    const t0 = performance.now();
    await expect(fetchUpstream(url, 150)).resolves.toEqual({ kind: 'timeout' });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(400);
    await new Promise((r) => setTimeout(r, 100));
    expect(sockets.size).toBe(1);
    expect([...sockets].every((s) => s.destroyed)).toBe(true); // the server saw the client go away
  });

  it('waits for a slow upstream when no timeout is given', async () => {
    delayMs = 300;
    const t0 = performance.now();
    await expect(fetchUpstream(url, undefined)).resolves.toMatchObject({ kind: 'ok', status: 200 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('reports a refused connection as an error, not a timeout', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await fetchUpstream(`http://127.0.0.1:${port}/`, 1000);
    expect(r).toMatchObject({ kind: 'error' });
    expect((r as { error: string }).error).toMatch(/ECONNREFUSED/);
  });
});

import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sample } from '@gameday/core';
import { LoadGenerator, ProbeLoop, probeOnce } from '@gameday/probes';

// A real HTTP server on loopback: /slow?ms=N answers after N ms, /status/N answers N.
let server: http.Server;
let base: string;
let connections = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const status = url.pathname.startsWith('/status/') ? Number(url.pathname.slice(8)) : 200;
    setTimeout(() => res.writeHead(status).end('ok'), Number(url.searchParams.get('ms') ?? 0));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('probeOnce', () => {
  it('measures a slow answer', async () => {
    const s = await probeOnce({ name: 'p', url: `${base}/slow?ms=120`, timeoutMs: 2_000 });
    expect(s.ok).toBe(true);
    expect(s.status).toBe(200);
    expect(s.durationMs).toBeGreaterThanOrEqual(119);
    expect(s.durationMs).toBeLessThan(400);
  });

  it('times out at the probe timeout', async () => {
    const s = await probeOnce({ name: 'p', url: `${base}/slow?ms=1000`, timeoutMs: 150 });
    expect(s).toMatchObject({ ok: false, errorKind: 'timeout' });
    expect(s.durationMs).toBeGreaterThanOrEqual(149);
    expect(s.durationMs).toBeLessThan(600);
  });

  it('honours the expected status set (the timeout path expects 500)', async () => {
    expect(
      await probeOnce({ name: 'p', url: `${base}/status/500`, timeoutMs: 1_000, expectedStatus: [500] }),
    ).toMatchObject({ ok: true, status: 500 });
    expect(await probeOnce({ name: 'p', url: `${base}/status/500`, timeoutMs: 1_000 })).toMatchObject({
      ok: false,
      errorKind: 'status_mismatch',
    });
  });

  it('reports a refused connection', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await probeOnce({ name: 'p', url: `http://127.0.0.1:${port}/`, timeoutMs: 1_000 })).toMatchObject({
      ok: false,
      errorKind: 'connect_refused',
    });
  });

  it('opens a new connection per request, like `time curl`', async () => {
    const before = connections;
    await probeOnce({ name: 'p', url: `${base}/`, timeoutMs: 1_000 });
    await probeOnce({ name: 'p', url: `${base}/`, timeoutMs: 1_000 });
    expect(connections - before).toBe(2);
  });
});

describe('ProbeLoop', () => {
  it('keeps its cadence while answers are slow', async () => {
    const samples: Sample[] = [];
    const loop = new ProbeLoop([{ name: 'slow', url: `${base}/slow?ms=300`, timeoutMs: 1_000 }], {
      intervalMs: 100,
      onSample: (_probe, s) => samples.push(s),
    });
    loop.start();
    await new Promise((r) => setTimeout(r, 550));
    await loop.stop();
    // 6 ticks (0..500 ms) fired although each answer takes 300 ms
    expect(samples.length).toBeGreaterThanOrEqual(5);
    expect(samples.every((s) => s.ok && s.durationMs >= 299)).toBe(true);
  });
});

describe('LoadGenerator', () => {
  it('drives a fixed rate and reports every answer', async () => {
    const samples: Sample[] = [];
    const load = new LoadGenerator({ url: `${base}/slow?ms=5`, rate: 50, concurrency: 5, timeoutMs: 1_000 }, (s) =>
      samples.push(s),
    );
    load.start();
    await load.started;
    await new Promise((r) => setTimeout(r, 2_000));
    await load.stop();
    // 50 rps for 2 s: about 100 answers; autocannon paces per connection, so allow slack — flat out it would be thousands
    expect(samples.length).toBeGreaterThan(60);
    expect(samples.length).toBeLessThan(200);
    expect(samples.every((s) => s.ok && s.status === 200)).toBe(true);
  });

  it('records errors as failed samples', async () => {
    const samples: Sample[] = [];
    const load = new LoadGenerator({ url: `${base}/status/503`, rate: 20, concurrency: 2, timeoutMs: 1_000 }, (s) =>
      samples.push(s),
    );
    load.start();
    await load.started;
    await new Promise((r) => setTimeout(r, 600));
    await load.stop();
    expect(samples.length).toBeGreaterThan(3);
    expect(samples.every((s) => !s.ok && s.status === 503 && s.errorKind === 'status_mismatch')).toBe(true);
  });

  it("keeps its rate while the executor's thread is blocked (it runs in a thread of its own)", async () => {
    // the server is another process: this thread is about to stop answering anything
    const child = spawn(
      process.execPath,
      [
        '-e',
        'const s=require("http").createServer((q,r)=>r.end("ok")).listen(0,"127.0.0.1",()=>console.log(s.address().port))',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = await new Promise<number>((resolve) =>
        child.stdout!.once('data', (d: Buffer) => resolve(Number(d))),
      );
      const samples: Sample[] = [];
      const load = new LoadGenerator(
        { url: `http://127.0.0.1:${port}/`, rate: 100, concurrency: 4, timeoutMs: 1_000 },
        (s) => samples.push(s),
      );
      load.start();
      await load.started;
      await new Promise((r) => setTimeout(r, 300));
      // the executor's event loop stalls for a second (a long GC, a synchronous report)
      const blockedFrom = Date.now();
      while (Date.now() - blockedFrom < 1_000) {
        /* busy */
      }
      const blockedTo = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      await load.stop();
      const during = samples.filter((s) => s.at >= blockedFrom && s.at < blockedTo);
      // 100 requests/s: about 100 were sent while this thread could not run a single callback
      expect(during.length).toBeGreaterThan(50);
      expect(during.every((s) => s.ok)).toBe(true);
    } finally {
      child.kill();
    }
  });
});

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Sample } from '@gameday/core';
import { LoadGenerator, ProbeLoop, probeOnce } from '@gameday/probes';

/**
 * Requests a spec describes with headers HTTP forbids, as a row stored before the API checked
 * them (or changed behind its back) would hand them to the worker: each becomes a failed sample
 * and nothing reaches the wire; nothing throws or rejects out of the probe, the loop or the load.
 * The server is raw TCP so the test sees every byte a client wrote, smuggled requests included.
 */

let server: Server;
let base: string;
let received = '';
let connections = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      received += text;
      // one answer per request line seen, so a keep-alive client goes on sending
      for (const _ of text.matchAll(/^[A-Z]+ \S+ HTTP\/1\.1\r$/gm))
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  received = '';
  connections = 0;
});

const HOSTILE: [string, { headers: Record<string, string>; body?: string }][] = [
  ['a CR LF starting another header', { headers: { 'X-A': 'a\r\nHost: evil.example' } }],
  [
    'a CR LF smuggling a second request',
    { headers: { 'X-A': 'a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: internal.example\r\n\r\n' } },
  ],
  ['a character above 0xFF', { headers: { 'X-A': 'caf€' } }],
  ['a NUL', { headers: { 'X-A': 'a\u0000b' } }],
  ['a space in the name', { headers: { 'X A': 'b' } }],
  ['a Host override', { headers: { Host: 'internal.example' } }],
  [
    'a Content-Length that turns the body into a second request',
    { headers: { 'Content-Length': '0' }, body: 'GET /smuggled HTTP/1.1\r\nHost: internal.example\r\n\r\n' },
  ],
];

describe('probeOnce with headers HTTP forbids', () => {
  it.each(HOSTILE)('records %s as an invalid_request sample and sends nothing', async (_label, request) => {
    const sample = await probeOnce({ name: 'p', url: `${base}/`, method: 'POST', timeoutMs: 1_000, ...request });
    expect(sample).toMatchObject({ ok: false, errorKind: 'invalid_request' });
    await new Promise((r) => setTimeout(r, 50));
    expect({ connections, received }).toEqual({ connections: 0, received: '' });
  });
});

describe('ProbeLoop with headers HTTP forbids', () => {
  it('goes on sampling (failed samples, none lost) without an unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const samples: Sample[] = [];
      const loop = new ProbeLoop([{ name: 'bad', url: `${base}/`, headers: { 'X-A': 'a\r\nb' }, timeoutMs: 500 }], {
        intervalMs: 50,
        onSample: (_probe, s) => samples.push(s),
      });
      loop.start();
      await new Promise((r) => setTimeout(r, 300));
      await loop.stop();
      expect(samples.length).toBeGreaterThanOrEqual(4);
      expect(samples.every((s) => !s.ok && s.errorKind === 'invalid_request')).toBe(true);
      expect(loop.lost).toBe(0);
      expect(rejections).toEqual([]);
      expect(connections).toBe(0);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('drops (and counts) a sample its consumer throws on, and keeps going', async () => {
    let calls = 0;
    const loop = new ProbeLoop([{ name: 'ok', url: `${base}/`, timeoutMs: 500 }], {
      intervalMs: 50,
      onSample: () => {
        calls++;
        throw new Error('recorder broke');
      },
    });
    loop.start();
    await new Promise((r) => setTimeout(r, 300));
    await loop.stop();
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(loop.lost).toBe(calls);
  });
});

describe('LoadGenerator with headers HTTP forbids', () => {
  it.each(HOSTILE)('records %s as one invalid_request sample and makes no traffic', async (_label, request) => {
    const samples: Sample[] = [];
    const load = new LoadGenerator(
      { url: `${base}/`, method: 'POST', rate: 50, concurrency: 2, timeoutMs: 1_000, ...request },
      (s) => samples.push(s),
    );
    load.start();
    await load.started;
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    expect(samples).toEqual([expect.objectContaining({ ok: false, errorKind: 'invalid_request' })]);
    expect({ connections, smuggled: /smuggled|evil|internal/.test(received) }).toEqual({
      connections: 0,
      smuggled: false,
    });
  });

  it('still sends ordinary headers as written', async () => {
    const samples: Sample[] = [];
    const load = new LoadGenerator(
      { url: `${base}/`, rate: 20, concurrency: 1, timeoutMs: 1_000, headers: { 'X-Api-Key': 'k 1' } },
      (s) => samples.push(s),
    );
    load.start();
    await load.started;
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s.ok)).toBe(true);
    expect(received).toContain('X-Api-Key: k 1\r\n');
  });
});

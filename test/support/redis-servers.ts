import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Throwaway local redis-server processes (Debian's redis-server, as the bootstrap installs it)
 * for the tests of GameDay on a Redis Cluster and on Sentinel. Each lives in its own directory,
 * listens on loopback only, persists nothing, and is stopped with stopRedisServers.
 */
export interface RedisServers {
  dir: string;
  ports: number[];
}

export function redisDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `gameday-${name}-`));
}

/** Starts a redis-server (daemonized) on `port` with extra arguments; resolves once it answers. */
export async function startRedisServer(dir: string, port: number, extra: string[] = []): Promise<void> {
  execFileSync('redis-server', [
    ...extra,
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    ...['--daemonize', 'yes', '--pidfile', join(dir, `${port}.pid`), '--logfile', join(dir, `${port}.log`)],
  ]);
  await until(`redis-server on ${port}`, () => cli(port, 'ping') === 'PONG');
}

/** A Sentinel on `port` watching the master on `masterPort` under `name` (quorum 1). */
export async function startSentinel(dir: string, port: number, masterPort: number, name: string): Promise<void> {
  // a sentinel rewrites its configuration file: it must be a file of its own
  const conf = join(dir, `sentinel-${port}.conf`);
  writeFileSync(conf, `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1\n`);
  await startRedisServer(dir, port, [conf, '--sentinel']);
  await until(`sentinel on ${port} knows ${name}`, () =>
    cli(port, 'sentinel', 'get-master-addr-by-name', name).includes(String(masterPort)),
  );
}

export function stopRedisServers({ dir, ports }: RedisServers): void {
  for (const port of ports) cli(port, 'shutdown', 'nosave');
  rmSync(dir, { recursive: true, force: true });
}

/** redis-cli against a local port; '' when it fails. */
export function cli(port: number, ...args: string[]): string {
  try {
    return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return '';
  }
}

export async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `count` ports p with p and p + 10000 (a cluster node's bus port) both free. */
export async function freePorts(count: number): Promise<number[]> {
  const found: number[] = [];
  for (let p = 21_000 + Math.floor(Math.random() * 8_000); found.length < count && p < 30_000; p++) {
    if ((await isFree(p)) && (await isFree(p + 10_000))) found.push(p);
  }
  if (found.length < count) throw new Error('no free ports between 21000 and 30000');
  return found;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// A Postgres of the test's own (its own data directory and port, started with the host's Debian
// PostgreSQL binaries) that a lab test restarts across a fault's planned end, and times it. The
// machine's shared cluster is never restarted: other tiers run beside the lab and use it.
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './processes';

const run = promisify(execFile);

export interface PostgresRestart {
  requestedAt: number;
  /** pg_ctl returned: stopped (fast: connections terminated) and started again */
  restartedAt: number;
  /** a new connection answered `SELECT 1` */
  answeringAt: number;
}

export interface PrivatePostgres {
  /** postgresql://postgres@127.0.0.1:PORT/postgres; name another database in its path to use it */
  baseUrl: string;
  /**
   * Stops (fast: connections terminated) and starts again; with `downUntil` (epoch ms) it stays
   * stopped until then, so the outage surely spans that instant (a quick machine restarts in
   * ~230 ms, which can end before an instant only 300 ms away).
   */
  restart(databaseUrl: string, options?: { timeoutMs?: number; downUntil?: number }): Promise<PostgresRestart>;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  } catch {
    // reported below
  }
  if (!versions.length) throw new Error(`no PostgreSQL binaries under ${root} (Debian package postgresql)`);
  return path.join(root, versions[0], 'bin');
}

/** initdb refuses root: as root, the server's tools run as the postgres user. */
function asOwner(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function pgCtl(bin: string, args: string[], timeoutMs: number): Promise<void> {
  const [cmd, argv] = asOwner(path.join(bin, 'pg_ctl'), args);
  await run(cmd, argv, { timeout: timeoutMs });
}

/** Starts a throwaway cluster on a free port (trust auth on 127.0.0.1 only, no fsync: test data). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gameday-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  const data = path.join(dir, 'data');
  const [initdb, initArgs] = asOwner(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '--no-instructions',
  ]);
  await run(initdb, initArgs, { timeout: 60_000 });
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  // pg_ctl restart reuses these options (postmaster.opts)
  // -l on every start: a server left holding pg_ctl's stdout would keep execFile waiting
  const log = path.join(dir, 'server.log');
  await pgCtl(bin, ['-D', data, '-o', options, '-l', log, '-w', 'start'], 60_000);
  const baseUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  return {
    baseUrl,
    async restart(databaseUrl, { timeoutMs = 60_000, downUntil } = {}) {
      const requestedAt = Date.now();
      if (downUntil === undefined) await pgCtl(bin, ['-D', data, '-m', 'fast', '-l', log, '-w', 'restart'], timeoutMs);
      else {
        await pgCtl(bin, ['-D', data, '-m', 'fast', '-w', 'stop'], timeoutMs);
        await new Promise((r) => setTimeout(r, Math.max(0, downUntil - Date.now())));
        await pgCtl(bin, ['-D', data, '-o', options, '-l', log, '-w', 'start'], timeoutMs);
      }
      const restartedAt = Date.now();
      for (;;) {
        const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 1_000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return { requestedAt, restartedAt, answeringAt: Date.now() };
        } catch (e) {
          if (Date.now() - requestedAt > timeoutMs)
            throw new Error(`Postgres did not answer within ${timeoutMs} ms of a restart: ${(e as Error).message}`, {
              cause: e,
            });
          await new Promise((r) => setTimeout(r, 100));
        } finally {
          await client.end().catch(() => undefined);
        }
      }
    },
    async stop() {
      await pgCtl(bin, ['-D', data, '-m', 'immediate', '-w', 'stop'], 30_000).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

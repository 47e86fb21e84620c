// Restarts the local Postgres cluster the tests use (127.0.0.1:5432, started by scripts/bootstrap.sh
// with pg_ctlcluster) and times it: a lab test restarts it across a fault's planned end.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

export interface PostgresRestart {
  requestedAt: number;
  /** pg_ctlcluster returned: stopped (fast: connections terminated) and started again */
  restartedAt: number;
  /** a new connection answered `SELECT 1` */
  answeringAt: number;
}

export async function restartPostgres(databaseUrl: string, timeoutMs = 60_000): Promise<PostgresRestart> {
  const { stdout } = await run('pg_lsclusters', ['--no-header']).catch((e: Error) => {
    throw new Error(`pg_lsclusters failed (this test restarts the local cluster bootstrap started): ${e.message}`);
  });
  const port = new URL(databaseUrl).port || '5432';
  const cluster = stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((c) => c[2] === port && c[3] === 'online');
  if (!cluster) throw new Error(`no local Postgres cluster online on port ${port} (pg_lsclusters):\n${stdout}`);
  const requestedAt = Date.now();
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster[0], cluster[1], 'restart', '--mode', 'fast'], {
    timeout: timeoutMs,
  });
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
}

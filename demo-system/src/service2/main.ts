import { Client, Pool } from 'pg';
import { createDemoMetrics } from '../common/http-metrics';
import { createDemoServer, envPort, log, serve } from '../common/demo-server';
import { renderUsers, UserRow } from './users.render';

const SERVICE = 'service2';
const port = envPort('PORT', 8001);
if (!process.env.DATABASE_URL) {
  log(SERVICE, 'error', 'DATABASE_URL is required (postgresql://user:password@host:5432/db)');
  process.exit(2);
}
const databaseUrl = process.env.DATABASE_URL;

/**
 * A new database connection per request, as the original demo did: connect, authenticate, query,
 * close. Under netem each of those round trips is delayed, which is a large part of why a plain
 * request takes seconds. A pool would be the better production choice and a less instructive demo.
 */
async function loadUsersOnNewConnection(): Promise<UserRow[]> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 30_000 });
  await client.connect();
  try {
    const res = await client.query<UserRow>('SELECT name, nickname FROM users ORDER BY id');
    return res.rows;
  } finally {
    await client.end();
  }
}

/**
 * DB_CONNECTION=pooled keeps connections open. For hosts where starting a database backend is
 * expensive (the user-mode-linux lab: one slow virtual CPU, a fork per connection costs hundreds of
 * milliseconds), where a connection per request would be slower than service1's timeout even
 * without a fault. Under netem a request still pays the delayed handshake, query and response.
 */
const mode = process.env.DB_CONNECTION ?? 'per-request';
if (mode !== 'per-request' && mode !== 'pooled') {
  log(SERVICE, 'error', `DB_CONNECTION must be per-request or pooled, not "${mode}"`);
  process.exit(2);
}
const pool =
  mode === 'pooled' ? new Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 30_000 }) : undefined;
const loadUsers = pool
  ? async () => (await pool.query<UserRow>('SELECT name, nickname FROM users ORDER BY id')).rows
  : loadUsersOnNewConnection;

const metrics = createDemoMetrics();
const server = createDemoServer({
  service: SERVICE,
  metrics,
  routes: {
    '/': async () => ({ status: 200, body: renderUsers(await loadUsers()) }),
  },
});
serve(server, SERVICE, port);

import { Client } from 'pg';
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
async function loadUsers(): Promise<UserRow[]> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 30_000 });
  await client.connect();
  try {
    const res = await client.query<UserRow>('SELECT name, nickname FROM users ORDER BY id');
    return res.rows;
  } finally {
    await client.end();
  }
}

const metrics = createDemoMetrics();
const server = createDemoServer({
  service: SERVICE,
  metrics,
  routes: {
    '/': async () => ({ status: 200, body: renderUsers(await loadUsers()) }),
  },
});
serve(server, SERVICE, port);

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { docker, REPO_ROOT } from './demo-stack';
import { freePort } from '../../../tools/lab/processes';

// The API, worker and migrate images build here from local bases and run: migrations applied to
// a scratch database, the API ready and answering an authenticated request, the worker healthy.
// The containers use the host network so they reach this machine's Postgres and Redis on
// 127.0.0.1, as they would reach the compose services by name.
const exec = promisify(execFile);
const id = randomBytes(4).toString('hex');
const dbName = `gameday_img_${id}`;
const queuePrefix = `gdimg${id}`;
const token = `image-test-${randomBytes(16).toString('hex')}`;
const containers = { api: `gdtest-api-${id}`, worker: `gdtest-worker-${id}` };
const baseUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/gameday_test');
const dbUrl = (name: string): string => Object.assign(new URL(baseUrl), { pathname: `/${name}` }).toString();

async function waitFor(url: string, init: RequestInit = {}, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
      if (res.ok) return res;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (last: ${last})`);
}

let apiPort = 0;
let workerPort = 0;

beforeAll(async () => {
  await exec('bash', [join(REPO_ROOT, 'scripts', 'images.sh'), 'app'], { maxBuffer: 64 * 1024 * 1024 });
  [apiPort, workerPort] = [await freePort(), await freePort()];
}, 900_000);

afterAll(async () => {
  for (const name of Object.values(containers)) await docker('rm', '-f', name).catch(() => undefined);
  const admin = new Client({ connectionString: dbUrl('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
  const keys = await redis.keys(`${queuePrefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}, 60_000);

it("marks the images as GameDay's own (never a fault target)", async () => {
  expect(await docker('image', 'inspect', '-f', '{{ index .Config.Labels "gameday.role" }}', 'gameday/api:dev')).toBe(
    'api',
  );
  expect(
    await docker('image', 'inspect', '-f', '{{ index .Config.Labels "gameday.role" }}', 'gameday/worker:dev'),
  ).toBe('worker');
});

it('migrate applies every migration to a fresh database', async () => {
  await docker('run', '--rm', '--network', 'host', '-e', `DATABASE_URL=${dbUrl(dbName)}`, 'gameday/migrate:dev');
  const c = new Client({ connectionString: dbUrl(dbName) });
  await c.connect();
  try {
    const r = await c.query('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL');
    expect(r.rows[0].n).toBeGreaterThan(0);
  } finally {
    await c.end();
  }
}, 120_000);

it('the API and worker images start, get ready and serve', async () => {
  const env = [
    '-e',
    `DATABASE_URL=${dbUrl(dbName)}`,
    '-e',
    `REDIS_URL=${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0'}`,
    '-e',
    `QUEUE_PREFIX=${queuePrefix}`,
  ];
  await docker(
    'run',
    '-d',
    '--name',
    containers.api,
    '--network',
    'host',
    ...env,
    '-e',
    `PORT=${apiPort}`,
    '-e',
    `GAMEDAY_ADMIN_TOKEN=${token}`,
    'gameday/api:dev',
  );
  await docker(
    'run',
    '-d',
    '--name',
    containers.worker,
    '--network',
    'host',
    ...env,
    '-e',
    `WORKER_PORT=${workerPort}`,
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock',
    'gameday/worker:dev',
  );

  const ready = await (await waitFor(`http://127.0.0.1:${apiPort}/readyz`)).json();
  expect(ready).toMatchObject({ status: 'ready' });
  const list = await fetch(`http://127.0.0.1:${apiPort}/api/v1/gamedays`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(list.status).toBe(200);
  expect(await list.json()).toMatchObject({ items: [] });
  expect((await fetch(`http://127.0.0.1:${apiPort}/api/v1/gamedays`)).status).toBe(401);
  // the image serves the web UI at /
  expect(await (await fetch(`http://127.0.0.1:${apiPort}/`)).text()).toContain('<div id="root">');

  await waitFor(`http://127.0.0.1:${workerPort}/healthz`);
  const metrics = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
  expect(metrics).toContain('gameday_queue_jobs');
}, 120_000);

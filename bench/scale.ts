// GameDay scale bench: many GameDays on one API and one worker, each figure beside a baseline
// measured in the same run against the same processes.
//
// - create: POST /api/v1/gamedays, one-shot and cron mixed, N of them (autocannon, C connections);
//   baseline: GET /readyz (one round trip and a database ping) at the same concurrency.
// - list: the first page, a name search, and a walk through every page by cursor; baseline /readyz.
// - firing lateness: B one-shot GameDays due at the same minute boundary, with N others scheduled;
//   lateness = the run's row written − the occurrence. Once with Redis `hz` 10, once with 100.
//   Baseline: lone occurrences, one per second.
// - worker RSS and Redis memory while the N GameDays stay scheduled (the worker's reconciler walks
//   all of them), sampled for S seconds: start, end, max and the slope.
//
// The API and the worker are the built processes (dist/), as deployed. They get a database and a
// Redis database index of their own, dropped and flushed at the end. Their runs fail at arming by
// design (the targets' label matches no container): firing is measured, not faults.
//
// Environment: BENCH_SCALE_GAMEDAYS (10000), BENCH_SCALE_BURST (1000), BENCH_SCALE_SOAK_S (120),
// BENCH_SCALE_CONNECTIONS (16), BENCH_SCALE_REDIS_DB (13). Ends with one JSON line of the figures.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { configSchema } from '@gameday/config';
import { freePort, startProcess, waitForHttp, type Managed } from '../tools/lab/processes';
import { quantile } from '../tools/lab/stats';

const ROOT = path.resolve(__dirname, '..');
const GAMEDAYS = Number(process.env.BENCH_SCALE_GAMEDAYS ?? 10_000);
const BURST = Number(process.env.BENCH_SCALE_BURST ?? 1_000);
const SOAK_S = Number(process.env.BENCH_SCALE_SOAK_S ?? 120);
const CONNECTIONS = Number(process.env.BENCH_SCALE_CONNECTIONS ?? 16);
const REDIS_DB = Number(process.env.BENCH_SCALE_REDIS_DB ?? 13);
const LONE = 5;
const DB_NAME = 'gameday_bench_scale';
const PG = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/gameday');
const dbUrl = (name: string) => Object.assign(new URL(PG), { pathname: `/${name}` }).toString();
const REDIS_URL = `redis://127.0.0.1:6379/${REDIS_DB}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
const latencyOf = (xs: number[]): Latency => ({
  n: xs.length,
  p50: round1(quantile(xs, 0.5)),
  p99: round1(quantile(xs, 0.99)),
  max: round1(Math.max(...xs)),
});

/** A GameDay that never touches a container: its target's label matches nothing. */
function gameDay(i: number, schedule: Record<string, unknown>): string {
  return JSON.stringify({
    name: `bench ${i} ${randomBytes(3).toString('hex')}`,
    timezone: 'UTC',
    schedule,
    experiments: [
      {
        name: 'latency',
        hypothesis: { description: 'bench', probes: [{ name: 'front', url: 'http://127.0.0.1:9/', timeoutMs: 500 }] },
        fault: { kind: 'network', target: { labels: { 'gameday.bench': 'none' } }, netem: { delay: '100ms' } },
        durations: { baseline: '10s', fault: '10s', recovery: '10s' },
      },
    ],
  });
}

/** Never due during the bench: a one-shot 2-30 days ahead, or a monthly cron on a day far from today. */
function backgroundSchedule(i: number, now: Date): Record<string, unknown> {
  if (i % 2 === 0) return { at: new Date(now.getTime() + (2 + (i % 28)) * 86_400_000 + i * 1000).toISOString() };
  const day = ((now.getUTCDate() + 7 + (i % 14)) % 28) + 1;
  return { cron: `${i % 60} ${i % 24} ${day} * *`, timezone: ['UTC', 'Europe/Paris', 'America/New_York'][i % 3] };
}

class ScaleBench {
  private procs: Managed[] = [];
  private readonly token = randomBytes(24).toString('hex');
  private readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  private readonly pg = new Client({ connectionString: dbUrl(DB_NAME) });
  private readonly logDir = mkdtempSync(path.join(tmpdir(), 'gameday-bench-scale-'));
  private hzBefore = '10';
  api = '';
  workerPid = 0;

  async start(): Promise<void> {
    for (const f of ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js'])
      if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} missing: run \`npm run build\` first`);
    const admin = new Client({ connectionString: dbUrl('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${DB_NAME}"`);
    await admin.end();
    await promisify(execFile)('bash', [path.join(ROOT, 'scripts/db-migrate.sh'), 'deploy'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: dbUrl(DB_NAME) },
    });
    await this.pg.connect();
    await this.redis.flushdb();
    this.hzBefore = ((await this.redis.config('GET', 'hz')) as string[])[1];
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: dbUrl(DB_NAME),
      REDIS_URL,
      QUEUE_PREFIX: 'gdbench-scale',
      GAMEDAY_ADMIN_TOKEN: this.token,
      PORT: String(apiPort),
      WORKER_PORT: String(workerPort),
      LOG_LEVEL: 'warn',
      // one operator provisioning many GameDays: the per-token limit is not what is measured
      RATE_LIMIT_PER_TOKEN: '10000000',
      RATE_LIMIT_PER_ADDRESS: '10000000',
    };
    this.procs = [
      startProcess('api', process.execPath, [path.join(ROOT, 'dist/apps/api/src/main.js')], env, this.logDir),
      startProcess('worker', process.execPath, [path.join(ROOT, 'dist/apps/worker/src/main.js')], env, this.logDir),
    ];
    this.api = `http://127.0.0.1:${apiPort}`;
    this.workerPid = this.procs[1].child.pid!;
    await waitForHttp(`${this.api}/readyz`, 60_000, `the API (log: ${this.procs[0].logFile})`);
    await waitForHttp(`http://127.0.0.1:${workerPort}/healthz`, 60_000, `the worker (log: ${this.procs[1].logFile})`);
  }

  async stop(): Promise<void> {
    for (const p of this.procs.reverse()) await p.stop().catch(() => undefined);
    await this.redis.config('SET', 'hz', this.hzBefore).catch(() => undefined);
    await this.redis.flushdb().catch(() => undefined);
    this.redis.disconnect();
    await this.pg.end().catch(() => undefined);
    const admin = new Client({ connectionString: dbUrl('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(this.logDir, { recursive: true, force: true });
  }

  /** autocannon against the API; every answer must have the expected status. */
  async cannon(
    label: string,
    opts: { path: string; method?: 'GET' | 'POST'; amount: number; body?: (i: number) => string; status: number },
  ): Promise<Latency> {
    let i = 0;
    const result = await autocannon({
      url: `${this.api}${opts.path}`,
      connections: CONNECTIONS,
      amount: opts.amount,
      method: opts.method ?? 'GET',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(opts.body ? { requests: [{ setupRequest: (req) => ({ ...req, body: opts.body!(i++) }) }] } : {}),
    });
    const ok = Number(result.statusCodeStats?.[String(opts.status) as keyof typeof result.statusCodeStats]?.count ?? 0);
    if (ok !== opts.amount)
      throw new Error(
        `${label}: ${ok}/${opts.amount} answered ${opts.status} (${JSON.stringify(result.statusCodeStats)}; errors ${result.errors}, timeouts ${result.timeouts}); API log: ${this.procs[0].logFile}`,
      );
    return { n: opts.amount, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max };
  }

  async storedGameDays(): Promise<number> {
    return Number((await this.pg.query<{ count: string }>('SELECT count(*) FROM "GameDay"')).rows[0].count);
  }

  async createOne(body: string): Promise<void> {
    const res = await fetch(`${this.api}/api/v1/gamedays`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body,
    });
    if (res.status !== 201) throw new Error(`create: HTTP ${res.status} ${await res.text()}`);
  }

  async redisMemory(): Promise<number> {
    const info = await this.redis.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  }

  workerRssMb(): number {
    const status = readFileSync(`/proc/${this.workerPid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  }

  /** Every page of the list by cursor, one request at a time. */
  async walkPages(): Promise<{ pages: number; items: number; latency: Latency }> {
    const times: number[] = [];
    let cursor: string | null = null;
    let items = 0;
    do {
      const t0 = performance.now();
      const res = await fetch(`${this.api}/api/v1/gamedays?limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${this.token}` },
      });
      const body = (await res.json()) as { items: unknown[]; nextCursor: string | null };
      times.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`list page: HTTP ${res.status}`);
      items += body.items.length;
      cursor = body.nextCursor;
    } while (cursor);
    return { pages: times.length, items, latency: latencyOf(times) };
  }

  /** Lateness of every run of the occurrences at `instants`, once all have fired (or the deadline passed). */
  async lateness(instants: Date[], expected: number, deadline: number): Promise<{ fired: number; latency: Latency }> {
    let rows: { late_ms: number }[] = [];
    while (Date.now() < deadline) {
      const res = await this.pg.query<{ late_ms: number }>(
        `SELECT EXTRACT(EPOCH FROM ("createdAt" - "scheduledFor")) * 1000 AS late_ms FROM "Run" WHERE "scheduledFor" = ANY($1::timestamptz[])`,
        [instants.map((d) => d.toISOString())],
      );
      rows = res.rows;
      if (rows.length >= expected) break;
      await sleep(500);
    }
    return { fired: rows.length, latency: latencyOf(rows.map((r) => Number(r.late_ms))) };
  }

  /** B one-shots due at the next minute boundary that leaves time to create them. */
  async burst(hz: number, offset: number): Promise<{ fired: number; latency: Latency; at: string }> {
    await this.redis.config('SET', 'hz', String(hz));
    const at = new Date(Math.ceil((Date.now() + 45_000) / 60_000) * 60_000);
    await this.cannon(`burst hz ${hz}`, {
      path: '/api/v1/gamedays',
      method: 'POST',
      amount: BURST,
      status: 201,
      body: (i) => gameDay(offset + i, { at: at.toISOString() }),
    });
    if (Date.now() > at.getTime() - 5_000) throw new Error(`creating ${BURST} GameDays ran past their instant`);
    const r = await this.lateness([at], BURST, at.getTime() + 180_000);
    return { ...r, at: at.toISOString() };
  }
}

async function main(): Promise<void> {
  const b = new ScaleBench();
  const t0 = Date.now();
  // stopped from outside (Ctrl-C, a timeout): its API and worker must not outlive it, or they take
  // the next run's jobs (same Redis index and queue prefix)
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void b.stop().finally(() => process.exit(130)));
  try {
    await b.start();
    const rssStart = b.workerRssMb();
    const redisStart = await b.redisMemory();
    const readyz = await b.cannon('readyz', { path: '/readyz', amount: 2_000, status: 200 });

    const now = new Date();
    const create = await b.cannon('create', {
      path: '/api/v1/gamedays',
      method: 'POST',
      amount: GAMEDAYS,
      status: 201,
      body: (i) => gameDay(i, backgroundSchedule(i, now)),
    });
    const stored = await b.storedGameDays();
    if (stored !== GAMEDAYS) throw new Error(`${stored} GameDays stored, ${GAMEDAYS} created`);
    const redisAfter = await b.redisMemory();
    const listFirst = await b.cannon('list', { path: '/api/v1/gamedays?limit=50', amount: 1_000, status: 200 });
    const listSearch = await b.cannon('search', {
      path: '/api/v1/gamedays?limit=50&q=bench%2099',
      amount: 500,
      status: 200,
    });
    const walk = await b.walkPages();

    // lone occurrences, one per second: the firing path without contention
    const loneAt = Array.from(
      { length: LONE },
      (_, i) => new Date(Math.ceil(Date.now() / 1000) * 1000 + 15_000 + i * 1000),
    );
    for (const [i, at] of loneAt.entries()) await b.createOne(gameDay(GAMEDAYS + i, { at: at.toISOString() }));
    const lone = await b.lateness(loneAt, LONE, loneAt[LONE - 1].getTime() + 60_000);
    const hz10 = await b.burst(10, GAMEDAYS + LONE);
    const hz100 = await b.burst(100, GAMEDAYS + LONE + BURST);

    // soak: everything stays scheduled; the worker's reconciler walks it all periodically
    const rss: { t: number; mb: number }[] = [];
    const redisMem: number[] = [];
    const soakStart = Date.now();
    while (Date.now() - soakStart < SOAK_S * 1000) {
      rss.push({ t: (Date.now() - soakStart) / 60_000, mb: b.workerRssMb() });
      redisMem.push(await b.redisMemory());
      await sleep(5_000);
    }
    const slope = slopeOf(rss);
    const figures = {
      gamedays: GAMEDAYS + LONE + 2 * BURST,
      connections: CONNECTIONS,
      baseline_readyz_p50_ms: readyz.p50,
      baseline_readyz_p99_ms: readyz.p99,
      create_p50_ms: create.p50,
      create_p99_ms: create.p99,
      create_p99_ratio: round1(create.p99 / readyz.p99),
      list_first_page_p99_ms: listFirst.p99,
      list_first_page_p99_ratio: round1(listFirst.p99 / readyz.p99),
      list_search_p99_ms: listSearch.p99,
      list_walk_pages: walk.pages,
      list_walk_page_p99_ms: walk.latency.p99,
      firing_lone_p50_ms: lone.latency.p50,
      firing_lone_max_ms: lone.latency.max,
      firing_burst: BURST,
      // the worker's firing/launching concurrency, as the worker parsed it from the same environment
      worker_concurrency: configSchema.shape.WORKER_CONCURRENCY.parse(process.env.WORKER_CONCURRENCY),
      firing_hz10_fired: hz10.fired,
      firing_hz10_p50_ms: hz10.latency.p50,
      firing_hz10_p99_ms: hz10.latency.p99,
      firing_hz10_max_ms: hz10.latency.max,
      firing_hz100_fired: hz100.fired,
      firing_hz100_p50_ms: hz100.latency.p50,
      firing_hz100_p99_ms: hz100.latency.p99,
      firing_hz100_max_ms: hz100.latency.max,
      firing_hz10_p99_ratio: round1(hz10.latency.p99 / Math.max(1, lone.latency.max)),
      worker_rss_start_mb: round1(rssStart),
      worker_rss_soak_start_mb: round1(rss[0]?.mb ?? NaN),
      worker_rss_soak_end_mb: round1(rss[rss.length - 1]?.mb ?? NaN),
      worker_rss_soak_max_mb: round1(Math.max(...rss.map((r) => r.mb))),
      worker_rss_slope_mb_per_min: round1(slope),
      soak_s: SOAK_S,
      redis_used_memory_start_mb: round1(redisStart / 1e6),
      redis_used_memory_after_create_mb: round1(redisAfter / 1e6),
      redis_bytes_per_gameday: Math.round((redisAfter - redisStart) / GAMEDAYS),
      redis_used_memory_soak_max_mb: round1(Math.max(...redisMem) / 1e6),
      took_s: Math.round((Date.now() - t0) / 1000),
    };
    printTable(figures);
    console.log(JSON.stringify(figures));
  } finally {
    await b.stop();
  }
}

/** Least-squares slope of RSS over minutes. */
function slopeOf(points: { t: number; mb: number }[]): number {
  if (points.length < 2) return NaN;
  const mt = points.reduce((s, p) => s + p.t, 0) / points.length;
  const mm = points.reduce((s, p) => s + p.mb, 0) / points.length;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.mb - mm), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

function printTable(f: Record<string, number>): void {
  const rows: [string, string, string][] = [
    [
      'create (POST /gamedays)',
      `p50 ${f.create_p50_ms} / p99 ${f.create_p99_ms} ms`,
      `${f.create_p99_ratio}× /readyz p99`,
    ],
    ['list, first page of 50', `p99 ${f.list_first_page_p99_ms} ms`, `${f.list_first_page_p99_ratio}× /readyz p99`],
    ['list, name search', `p99 ${f.list_search_p99_ms} ms`, ''],
    ['list, every page of 100 by cursor', `${f.list_walk_pages} pages, p99 ${f.list_walk_page_p99_ms} ms`, ''],
    ['baseline GET /readyz', `p50 ${f.baseline_readyz_p50_ms} / p99 ${f.baseline_readyz_p99_ms} ms`, ''],
    ['firing, lone occurrences', `p50 ${f.firing_lone_p50_ms} / max ${f.firing_lone_max_ms} ms`, 'baseline'],
    [
      `firing, ${f.firing_burst} due at once, hz 10`,
      `${f.firing_hz10_fired} fired; p50 ${f.firing_hz10_p50_ms} / p99 ${f.firing_hz10_p99_ms} / max ${f.firing_hz10_max_ms} ms`,
      `${f.firing_hz10_p99_ratio}× lone max`,
    ],
    [
      `firing, ${f.firing_burst} due at once, hz 100`,
      `${f.firing_hz100_fired} fired; p50 ${f.firing_hz100_p50_ms} / p99 ${f.firing_hz100_p99_ms} / max ${f.firing_hz100_max_ms} ms`,
      '',
    ],
    [
      `worker RSS over ${f.soak_s} s`,
      `${f.worker_rss_soak_start_mb} → ${f.worker_rss_soak_end_mb} MB (max ${f.worker_rss_soak_max_mb}; at start ${f.worker_rss_start_mb})`,
      `${f.worker_rss_slope_mb_per_min} MB/min`,
    ],
    [
      'Redis used memory',
      `${f.redis_used_memory_start_mb} → ${f.redis_used_memory_after_create_mb} MB after create (max ${f.redis_used_memory_soak_max_mb})`,
      `${f.redis_bytes_per_gameday} B per GameDay`,
    ],
  ];
  console.log(`\n== GameDay at scale: ${f.gamedays} GameDays, one API, one worker (${f.took_s} s) ==`);
  for (const [what, measured, ratio] of rows) console.log(`${what.padEnd(40)} ${measured.padEnd(70)} ${ratio}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

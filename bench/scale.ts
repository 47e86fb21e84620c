// GameDay scale bench: many GameDays on one API and 1..n workers, each figure beside a baseline
// measured in the same run against the same processes.
//
// - create: POST /api/v1/gamedays, one-shot and cron mixed, N of them (autocannon, C connections);
//   baseline: GET /readyz (one round trip and a database ping) at the same concurrency.
// - list: the first page, a name search, a filter, and a walk through every page by cursor;
//   baseline /readyz; then EXPLAIN (ANALYZE, BUFFERS) of each list query shape.
// - firing lateness: B one-shot GameDays due at the same instant, with N others scheduled, once per
//   worker count in BENCH_SCALE_WORKERS (worker processes started as the counts grow); lateness =
//   the run's row written − the occurrence; every burst GameDay must have exactly one run (a
//   missing or a second one fails the bench). Baseline: lone occurrences, one per second.
// - worker RSS and Redis memory while the N GameDays stay scheduled (the worker's reconciler walks
//   all of them), sampled for S seconds: start, end, max and the slope.
//
// The API and the worker are the built processes (dist/), as deployed. They get a database and a
// Redis database index of their own, dropped and flushed at the end. Their runs fail at arming by
// design (the targets' label matches no container): firing is measured, not faults.
//
// Environment: BENCH_SCALE_GAMEDAYS (10000), BENCH_SCALE_BURST (1000), BENCH_SCALE_WORKERS ("1,2,4"),
// BENCH_SCALE_SOAK_S (120), BENCH_SCALE_CONNECTIONS (16), BENCH_SCALE_REDIS_DB (13). Ends with one
// JSON line of the figures.
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
import { backgroundSchedule, gameDay, latencyOf, round1, type Latency } from './scale-fixtures';
import { listPlans, printPlans } from './scale-plans';
import { printTable, slopeOf, type BurstFigures } from './scale-report';

const ROOT = path.resolve(__dirname, '..');
const GAMEDAYS = Number(process.env.BENCH_SCALE_GAMEDAYS ?? 10_000);
const BURST = Number(process.env.BENCH_SCALE_BURST ?? 1_000);
const SOAK_S = Number(process.env.BENCH_SCALE_SOAK_S ?? 120);
const CONNECTIONS = Number(process.env.BENCH_SCALE_CONNECTIONS ?? 16);
const REDIS_DB = Number(process.env.BENCH_SCALE_REDIS_DB ?? 13);
const WORKERS = (process.env.BENCH_SCALE_WORKERS ?? '1,2,4').split(',').map(Number);
if (WORKERS.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('BENCH_SCALE_WORKERS: counts like "1,2,4"');
const LONE = 5;
const DB_NAME = 'gameday_bench_scale';
const PG = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/gameday');
const dbUrl = (name: string) => Object.assign(new URL(PG), { pathname: `/${name}` }).toString();
const REDIS_URL = `redis://127.0.0.1:6379/${REDIS_DB}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class ScaleBench {
  private procs: Managed[] = [];
  private workers: Managed[] = [];
  private env: NodeJS.ProcessEnv = {};
  private readonly token = randomBytes(24).toString('hex');
  private readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  readonly pg = new Client({ connectionString: dbUrl(DB_NAME) });
  private readonly logDir = mkdtempSync(path.join(tmpdir(), 'gameday-bench-scale-'));
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
    const apiPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: dbUrl(DB_NAME),
      REDIS_URL,
      QUEUE_PREFIX: 'gdbench-scale',
      GAMEDAY_ADMIN_TOKEN: this.token,
      PORT: String(apiPort),
      LOG_LEVEL: 'warn',
      // one operator provisioning many GameDays: the per-token limit is not what is measured
      RATE_LIMIT_PER_TOKEN: '10000000',
      RATE_LIMIT_PER_ADDRESS: '10000000',
    };
    this.env = env;
    this.procs = [
      startProcess('api', process.execPath, [path.join(ROOT, 'dist/apps/api/src/main.js')], env, this.logDir),
    ];
    this.api = `http://127.0.0.1:${apiPort}`;
    await waitForHttp(`${this.api}/readyz`, 60_000, `the API (log: ${this.procs[0].logFile})`);
    await this.workersUpTo(1);
    this.workerPid = this.workers[0].child.pid!;
  }

  /** Starts (or stops) worker processes until `n` run, each on a port of its own. */
  async workersUpTo(n: number): Promise<void> {
    while (this.workers.length > n) await this.workers.pop()!.stop();
    while (this.workers.length < n) {
      const port = await freePort();
      const w = startProcess(
        `worker-${this.workers.length + 1}`,
        process.execPath,
        [path.join(ROOT, 'dist/apps/worker/src/main.js')],
        { ...this.env, WORKER_PORT: String(port) },
        this.logDir,
      );
      this.workers.push(w);
      this.procs.push(w);
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, `${w.name} (log: ${w.logFile})`);
    }
  }

  async stop(): Promise<void> {
    for (const p of this.procs.reverse()) await p.stop().catch(() => undefined);
    await this.redis.flushdb().catch(() => undefined);
    this.redis.disconnect();
    await this.pg.end().catch(() => undefined);
    const admin = new Client({ connectionString: dbUrl('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    // BENCH_SCALE_KEEP_LOGS=1 keeps the API's and workers' logs for a look afterwards
    if (process.env.BENCH_SCALE_KEEP_LOGS === '1') process.stdout.write(`logs kept in ${this.logDir}\n`);
    else rmSync(this.logDir, { recursive: true, force: true });
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

  /**
   * B one-shots due at one instant (a 10 s boundary `leadMs` ahead, room to create them), fired
   * by `workers` worker processes; then every one of them must have exactly one run.
   */
  async burst(workers: number, offset: number, leadMs: number): Promise<BurstFigures> {
    await this.workersUpTo(workers);
    await this.settled();
    const at = new Date(Math.ceil((Date.now() + leadMs) / 10_000) * 10_000);
    const name = `burst w${workers}`;
    await this.cannon(`burst, ${workers} worker(s)`, {
      path: '/api/v1/gamedays',
      method: 'POST',
      amount: BURST,
      status: 201,
      body: (i) => gameDay(offset + i, { at: at.toISOString() }, name),
    });
    if (Date.now() > at.getTime() - 2_000) throw new Error(`creating ${BURST} GameDays ran past their instant`);
    const r = await this.lateness([at], BURST, at.getTime() + Math.max(180_000, BURST * 50));
    // a second run would come from a re-delivered job: give it time to show
    await sleep(3_000);
    const counts = await this.pg.query<{ runs: number }>(
      `SELECT count(r.id)::int AS runs FROM "GameDay" g LEFT JOIN "Run" r ON r."gameDayId" = g.id
       WHERE g.name LIKE $1 GROUP BY g.id`,
      [`${name} %`],
    );
    if (counts.rows.length !== BURST) throw new Error(`${counts.rows.length} burst GameDays stored, ${BURST} created`);
    return {
      workers,
      fired: r.fired,
      ...r.latency,
      missing: counts.rows.filter((c) => c.runs === 0).length,
      duplicates: counts.rows.filter((c) => c.runs > 1).length,
    };
  }

  /**
   * Waits until the runs already fired have ended: a burst starts on idle workers. The runs of a
   * burst of 10 000 take minutes to end (~30/s on 2 CPUs), so the wait grows with the burst.
   */
  async settled(): Promise<void> {
    const deadline = Date.now() + Math.max(120_000, BURST * 60);
    let live = 0;
    while (Date.now() < deadline) {
      const res = await this.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Run" WHERE "finishedAt" IS NULL`);
      live = res.rows[0].n;
      if (live === 0) return;
      await sleep(1_000);
    }
    process.stdout.write(`warning: ${live} runs of the burst before still live: this burst is not on idle workers\n`);
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
    const createStart = Date.now();
    const create = await b.cannon('create', {
      path: '/api/v1/gamedays',
      method: 'POST',
      amount: GAMEDAYS,
      status: 201,
      body: (i) => gameDay(i, backgroundSchedule(i, now)),
    });
    const createPerS = GAMEDAYS / ((Date.now() - createStart) / 1000);
    const stored = await b.storedGameDays();
    if (stored !== GAMEDAYS) throw new Error(`${stored} GameDays stored, ${GAMEDAYS} created`);
    const redisAfter = await b.redisMemory();
    const listFirst = await b.cannon('list', { path: '/api/v1/gamedays?limit=50', amount: 1_000, status: 200 });
    const listSearch = await b.cannon('search', {
      path: '/api/v1/gamedays?limit=50&q=bench%2099',
      amount: 500,
      status: 200,
    });
    const listFilter = await b.cannon('filter', {
      path: '/api/v1/gamedays?limit=50&environment=staging',
      amount: 500,
      status: 200,
    });
    const walk = await b.walkPages();
    const plans = await listPlans(b.pg, 'bench 99', `bench ${GAMEDAYS - 1} `);
    printPlans(plans);

    // lone occurrences, one per second: the firing path without contention
    const loneAt = Array.from(
      { length: LONE },
      (_, i) => new Date(Math.ceil(Date.now() / 1000) * 1000 + 15_000 + i * 1000),
    );
    for (const [i, at] of loneAt.entries()) await b.createOne(gameDay(GAMEDAYS + i, { at: at.toISOString() }));
    const lone = await b.lateness(loneAt, LONE, loneAt[LONE - 1].getTime() + 60_000);
    // room to create a burst at the rate measured above, three times over: with more workers
    // running (their reconcilers, a burst's runs ending) creating 10 000 took over 1.5× as long
    const leadMs = Math.max(20_000, (3 * BURST * 1000) / createPerS + 5_000);
    const bursts: BurstFigures[] = [];
    for (const [k, n] of WORKERS.entries()) bursts.push(await b.burst(n, GAMEDAYS + LONE + k * BURST, leadMs));

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
    const figures: Record<string, number> = {
      gamedays: GAMEDAYS + LONE + WORKERS.length * BURST,
      connections: CONNECTIONS,
      baseline_readyz_p50_ms: readyz.p50,
      baseline_readyz_p99_ms: readyz.p99,
      create_p50_ms: create.p50,
      create_p99_ms: create.p99,
      create_p99_ratio: round1(create.p99 / readyz.p99),
      create_per_s: round1(createPerS),
      list_first_page_p99_ms: listFirst.p99,
      list_first_page_p99_ratio: round1(listFirst.p99 / readyz.p99),
      list_search_p99_ms: listSearch.p99,
      list_search_p99_ratio: round1(listSearch.p99 / readyz.p99),
      list_filter_p99_ms: listFilter.p99,
      list_filter_p99_ratio: round1(listFilter.p99 / readyz.p99),
      list_walk_pages: walk.pages,
      list_walk_page_p99_ms: walk.latency.p99,
      ...Object.fromEntries(
        plans.map((p) => [`plan_${p.label.split(' ')[0]}_${p.label.split(' ')[1]}_ms`, p.executionMs]),
      ),
      firing_lone_p50_ms: lone.latency.p50,
      firing_lone_max_ms: lone.latency.max,
      firing_burst: BURST,
      // the worker's firing/launching concurrency, as the worker parsed it from the same environment
      worker_concurrency: configSchema.shape.WORKER_CONCURRENCY.parse(process.env.WORKER_CONCURRENCY),
      ...Object.fromEntries(
        bursts.flatMap((r) => [
          [`firing_w${r.workers}_fired`, r.fired],
          [`firing_w${r.workers}_p50_ms`, r.p50],
          [`firing_w${r.workers}_p99_ms`, r.p99],
          [`firing_w${r.workers}_max_ms`, r.max],
          [`firing_w${r.workers}_missing`, r.missing],
          [`firing_w${r.workers}_twice`, r.duplicates],
        ]),
      ),
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
    printTable(figures, bursts);
    console.log(JSON.stringify(figures));
    const wrong = bursts.filter((r) => r.missing > 0 || r.duplicates > 0);
    if (wrong.length > 0)
      throw new Error(
        `not exactly once: ${wrong.map((r) => `${r.workers} worker(s): ${r.missing} missing, ${r.duplicates} fired twice`).join('; ')}`,
      );
  } finally {
    await b.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

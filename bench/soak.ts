// GameDay soak bench: one run with a heavy load generator (1 000 requests/s by default) for
// BENCH_SOAK_S seconds on the built API and worker, as deployed. What is measured:
//
// - the worker's RSS while the load runs (start, max, end, least-squares slope), beside the same
//   worker's RSS idle before the run (the baseline, same process, same run);
// - what the load leaves in Postgres: requests answered (the aggregates' counts) against rows
//   written (one per second and window, not one per request);
// - the load's achieved rate against the requested one.
//
// The load and the probe go to an HTTP server inside this process; the fault pauses a throwaway
// opted-in container, so the run is a real one (arming, fault, revert) that the load never
// touches. Environment: BENCH_SOAK_S (600), BENCH_SOAK_RATE (1000), BENCH_SOAK_CONCURRENCY (16).
// Ends with one JSON line of the figures.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Client } from 'pg';
import { ensureLabTargetImage } from '../tools/lab/lab-images';
import { freePort, startProcess, waitForHttp, type Managed } from '../tools/lab/processes';

const ROOT = path.resolve(__dirname, '..');
const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 600);
const RATE = Number(process.env.BENCH_SOAK_RATE ?? 1_000);
const CONCURRENCY = Number(process.env.BENCH_SOAK_CONCURRENCY ?? 16);
const IDLE_S = 20;
const DB_NAME = 'gameday_bench_soak';
const PG = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/gameday');
const dbUrl = (name: string) => Object.assign(new URL(PG), { pathname: `/${name}` }).toString();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

class SoakBench {
  private procs: Managed[] = [];
  private readonly token = randomBytes(24).toString('hex');
  private readonly pg = new Client({ connectionString: dbUrl(DB_NAME) });
  private readonly docker = new Docker();
  private readonly logDir = mkdtempSync(path.join(tmpdir(), 'gameday-bench-soak-'));
  private readonly target = `gameday-bench-soak-${randomBytes(3).toString('hex')}`;
  private server: Server | undefined;
  served = 0;
  api = '';
  sink = '';
  workerPid = 0;

  async start(): Promise<void> {
    for (const f of ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js'])
      if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} missing: run \`npm run build\` first`);
    this.server = createServer((_req, res) => {
      this.served++;
      res.end('ok');
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.sink = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    const c = await this.docker.createContainer({
      name: this.target,
      Image: await ensureLabTargetImage(this.docker),
      Labels: { 'gameday.enabled': 'true' },
    });
    await c.start();

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
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: dbUrl(DB_NAME),
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0',
      QUEUE_PREFIX: `gdbench-soak-${randomBytes(3).toString('hex')}`,
      GAMEDAY_ADMIN_TOKEN: this.token,
      PORT: String(apiPort),
      WORKER_PORT: String(workerPort),
      LOG_LEVEL: 'warn',
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
    await this.docker
      .getContainer(this.target)
      .remove({ force: true })
      .catch(() => undefined);
    await new Promise((r) => this.server?.close(r));
    await this.pg.end().catch(() => undefined);
    const admin = new Client({ connectionString: dbUrl('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(this.logDir, { recursive: true, force: true });
  }

  /** Creates the GameDay and runs it now: baseline and recovery 10 % each, the fault in between. */
  async runNow(): Promise<string> {
    const tenth = Math.max(5, Math.round(SOAK_S / 10));
    const body = {
      name: `soak ${randomBytes(3).toString('hex')}`,
      timezone: 'UTC',
      schedule: { at: new Date(Date.now() + 86_400_000).toISOString() },
      experiments: [
        {
          name: 'soak',
          hypothesis: {
            description: 'the sink answers throughout',
            probes: [{ name: 'sink', url: this.sink, timeoutMs: 1_000, interval: '1s' }],
          },
          load: { url: this.sink, rate: RATE, concurrency: CONCURRENCY, timeoutMs: 2_000 },
          fault: { kind: 'container', target: { container: this.target }, action: 'pause' },
          durations: { arming: '5s', baseline: `${tenth}s`, fault: `${SOAK_S - 2 * tenth}s`, recovery: `${tenth}s` },
        },
      ],
    };
    const headers = { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' };
    const created = await fetch(`${this.api}/api/v1/gamedays`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (created.status !== 201) throw new Error(`create: HTTP ${created.status} ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    const run = await fetch(`${this.api}/api/v1/gamedays/${id}/runs`, { method: 'POST', headers, body: '{}' });
    if (run.status !== 201) throw new Error(`run: HTTP ${run.status} ${await run.text()}`);
    return ((await run.json()) as { id: string }).id;
  }

  async runStatus(runId: string): Promise<string> {
    const r = await this.pg.query<{ status: string }>('SELECT status FROM "Run" WHERE id = $1', [runId]);
    return r.rows[0]?.status ?? 'missing';
  }

  async evidence(runId: string) {
    const load = await this.pg.query<{ rows: string; requests: string }>(
      'SELECT count(*) AS rows, coalesce(sum(count), 0) AS requests FROM "LoadAggregate" WHERE "runId" = $1',
      [runId],
    );
    const samples = await this.pg.query<{ n: string }>('SELECT count(*) AS n FROM "ProbeSample" WHERE "runId" = $1', [
      runId,
    ]);
    return {
      loadRows: Number(load.rows[0].rows),
      loadRequests: Number(load.rows[0].requests),
      sampleRows: Number(samples.rows[0].n),
    };
  }

  workerRssMb(): number {
    const status = readFileSync(`/proc/${this.workerPid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  }
}

/** Least-squares slope of RSS over minutes. */
function slopeOf(points: { t: number; mb: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mm = points.reduce((s, p) => s + p.mb, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.mb - mm), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** RSS of the last point at or before minute t. */
function rssAt(points: { t: number; mb: number }[], t: number): number {
  const before = points.filter((p) => p.t <= t);
  return before[before.length - 1]?.mb ?? NaN;
}

async function main(): Promise<void> {
  const b = new SoakBench();
  const stopOnSignal = () => void b.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const t0 = Date.now();
  try {
    await b.start();
    const idle: number[] = [];
    for (let i = 0; i < IDLE_S / 2; i++) {
      idle.push(b.workerRssMb());
      await sleep(2_000);
    }
    const runId = await b.runNow();
    const rss: { t: number; mb: number }[] = [];
    const loadStart = Date.now();
    while (!['completed', 'failed', 'aborted'].includes(await b.runStatus(runId))) {
      if (b.served > 0) rss.push({ t: (Date.now() - loadStart) / 60_000, mb: b.workerRssMb() });
      if (Date.now() - loadStart > (SOAK_S + 180) * 1000) throw new Error('the run did not end in time');
      await sleep(5_000);
    }
    const status = await b.runStatus(runId);
    const evidence = await b.evidence(runId);
    // the first minute holds start-up (the load's thread, autocannon's buffers): the trend is after it
    const settled = rss.filter((p) => p.t >= 1);
    // a plateau shows as a second half whose slope is a small part of the first half's
    const half = SOAK_S / 60 / 2;
    const firstHalf = settled.filter((p) => p.t < half);
    const secondHalf = settled.filter((p) => p.t >= half);
    const idleMb = Math.max(...idle);
    const figures = {
      soak_s: SOAK_S,
      run_status: status,
      load_rate_requested: RATE,
      load_rate_achieved: Math.round(evidence.loadRequests / SOAK_S),
      load_requests: evidence.loadRequests,
      load_rows: evidence.loadRows,
      rows_per_1000_requests: round1((evidence.loadRows / Math.max(1, evidence.loadRequests)) * 1000),
      probe_sample_rows: evidence.sampleRows,
      baseline_worker_rss_idle_mb: round1(idleMb),
      worker_rss_load_start_mb: round1(rss[0]?.mb ?? NaN),
      worker_rss_load_max_mb: round1(Math.max(...rss.map((p) => p.mb))),
      worker_rss_load_end_mb: round1(rss[rss.length - 1]?.mb ?? NaN),
      worker_rss_max_ratio: round1(Math.max(...rss.map((p) => p.mb)) / idleMb),
      worker_rss_slope_after_1min_mb_per_min: round1(slopeOf(settled)),
      worker_rss_slope_first_half_mb_per_min: round1(slopeOf(firstHalf)),
      worker_rss_slope_second_half_mb_per_min: round1(slopeOf(secondHalf)),
      worker_rss_at_quarters_mb: [0.25, 0.5, 0.75, 1].map((q) => round1(rssAt(rss, (SOAK_S / 60) * q))).join(' / '),
      took_s: Math.round((Date.now() - t0) / 1000),
    };
    for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(42)} ${v}`);
    console.log(JSON.stringify(figures));
    if (status !== 'completed') throw new Error(`the soak run ended ${status}`);
  } finally {
    await b.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

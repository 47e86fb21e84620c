import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { parseDurationMs, RUN_TERMINAL, type RunResult } from '@gameday/core';
import { ensureDnsImage, ensureHelperImage, ensureStressImage, ensureWatchdogImage } from '@gameday/faults';
import { GUEST_ENGINE_SOCKET, startUmlDocker, type UmlDocker } from '../../tools/lab/uml-docker';
import { hostHasNetem } from './engine';
import { freePorts, startProcess, waitForHttp, type Managed } from '../../tools/lab/processes';

const execFileP = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const DEMO_PROJECT = 'gameday-demo';
const IMAGES = ['gameday/demo-db:dev', 'gameday/demo-service2:dev', 'gameday/demo-service1:dev'];

export interface DemoOptions {
  /** host: this kernel's Docker; lab: Docker inside user-mode-linux; auto: host when it has netem */
  engine?: 'auto' | 'host' | 'lab';
  /** shorter windows (25 s / 30 s / 35 s) for tests; the example's own are 30 s / 2 min / 30 s (each after the engine's arming lead) */
  fast?: boolean;
  /** seconds from creating the GameDay to its start */
  leadSeconds?: number;
  /** fixed ports for humans (8080 API, 9464 worker, 9090 Prometheus); random ones otherwise */
  fixedPorts?: boolean;
  stateDir?: string;
  log?: (line: string) => void;
  /**
   * afterwards, the same GameDay against service1 without its timeout: the hypothesis must then be
   * violated (the check that the hypothesis means what it says)
   */
  flip?: boolean;
  /** the GameDay: examples/<example>.gameday.json (its compose targets pointed at the demo system); classic by default */
  example?: string;
  /** what the flipped GameDay changes (default: service1 without its timeout, withoutTimeout) */
  flipWith?: (spec: GameDayJson) => GameDayJson;
  /** called with the result while everything still runs (e.g. to let a person browse the URLs) */
  beforeCleanup?: (result: DemoResult) => Promise<void>;
}

export interface PromQuery {
  panel: string;
  expr: string;
  series: number;
}

export interface DemoResult {
  engine: 'host' | 'lab';
  runId: string;
  verdict: string | null;
  status: string;
  run: RunDetail;
  reportPath: string;
  reportUrl: string;
  apiUrl: string;
  prometheusUrl: string;
  /** requests measured by the demo itself, beside the worker's probes */
  spotChecks: { phase: string; url: string; status: number | null; ms: number }[];
  /** the flipped GameDay (options.flip): service1 without its timeout */
  flipped?: { runId: string; status: string; verdict: string | null; run: RunDetail };
  prometheus: { faultWindowSeen: boolean; deviationRatio: number | null; panels: PromQuery[] };
}

interface RunEvent {
  id: string;
  type: string;
  message: string;
  at: string;
  plannedAt: string | null;
}
export interface RunDetail {
  id: string;
  status: string;
  verdict: string | null;
  error: string | null;
  events: RunEvent[];
  result: RunResult | null;
}

const TERMINAL = new Set<string>(RUN_TERMINAL);

/**
 * The classic GameDay end to end on this machine: the demo system in Docker (the host's engine when
 * its kernel has sch_netem, otherwise the engine inside user-mode-linux), the real API and worker
 * as processes on the host with Postgres and Redis, Prometheus scraping them all, and the example
 * GameDay scheduled a few seconds ahead. Returns what happened; cleans up everything it started.
 */
export async function runClassicDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const stateDir = options.stateDir ?? path.join(ROOT, '.lab', 'demo');
  mkdirSync(stateDir, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => log(`cleanup: ${(e as Error).message}`));
  };

  try {
    // ---- 1. an engine whose kernel has netem
    const probe = await hostHasNetem();
    let engine: 'host' | 'lab' = options.engine === 'lab' ? 'lab' : 'host';
    if (options.engine === 'host' && !probe.ok)
      throw new Error(
        `this host's kernel cannot run netem (${probe.detail}): run the demo on the lab engine (GAMEDAY_DEMO_ENGINE=lab)`,
      );
    if ((options.engine ?? 'auto') === 'auto' && !probe.ok) {
      engine = 'lab';
      log(`This host's kernel has no sch_netem ("${probe.detail}"), so netem faults cannot run on its Docker Engine.`);
      log(
        'Running the demo system on the Docker Engine inside the user-mode-linux lab kernel instead (real netem; see tools/lab/README.md).',
      );
    }
    const hostDocker = new Docker();
    for (const image of IMAGES) {
      try {
        await hostDocker.getImage(image).inspect();
      } catch {
        log(`building the demo images (scripts/images.sh demo)…`);
        await execFileP('bash', [path.join(ROOT, 'scripts', 'images.sh'), 'demo'], { maxBuffer: 64 << 20 });
        break;
      }
    }
    const helperImage = await ensureHelperImage(hostDocker);
    const spec = JSON.parse(
      readFileSync(path.join(ROOT, 'examples', `${options.example ?? 'classic'}.gameday.json`), 'utf8'),
    );
    // kinds whose helper is an image of its own, built on the helper's: the lab's engine cannot build
    const kinds = new Set(
      JSON.stringify(spec)
        .match(/"kind":"[a-z-]+"/g)
        ?.map((k) => k.slice(8, -1)),
    );
    // a container fault's watchdog too (the lab's engine answered a pause's build with "no registry")
    const watchdogImage = kinds.has('container') ? await ensureWatchdogImage(hostDocker) : undefined;
    const kindImages = [
      ...(kinds.has('dns') ? [await ensureDnsImage(hostDocker, helperImage)] : []),
      ...(kinds.has('stress') ? [await ensureStressImage(hostDocker, helperImage)] : []),
      ...(watchdogImage ? [watchdogImage] : []),
    ];
    let docker = hostDocker;
    let engineHost = '127.0.0.1';
    let dockerHost: string | undefined;
    if (engine === 'lab') {
      log('booting the lab kernel with Docker inside and loading the demo images (about a minute)…');
      const lab: UmlDocker = await startUmlDocker({
        images: [helperImage, ...kindImages, ...IMAGES],
        memMb: 3072,
        readyTimeoutMs: 120_000,
      });
      cleanups.push(() => lab.stop());
      for (const l of lab.timings.imageLoads)
        log(`  loaded ${l.image} (${(l.bytes / 1e6).toFixed(0)} MB) in ${(l.ms / 1000).toFixed(1)} s`);
      docker = lab.docker;
      engineHost = lab.host;
      dockerHost = `tcp://${lab.host}:${lab.port}`;
    }

    // ---- 2. the demo system: db ← service2 ← service1 on a private network
    // In the lab a database backend per request costs hundreds of ms of its one virtual CPU: more
    // than service1's 300 ms timeout before any fault. There service2 keeps its connections open.
    if (engine === 'lab') log('lab engine: service2 keeps its database connections open (DB_CONNECTION=pooled)');
    const demo = await startDemoSystem(
      docker,
      engine === 'lab' ? '0.0.0.0' : '127.0.0.1',
      engine === 'lab' ? 'pooled' : 'per-request',
    );
    cleanups.push(() => demo.remove());
    const service1 = `http://${engineHost}:${demo.ports.service1}`;
    const service2Metrics = `${engineHost}:${demo.ports.service2}`;
    await waitForHttp(`${service1}/`, 90_000, 'the demo system (service1 → service2 → db)');
    log(`demo system up: service1 at ${service1}/ (containers ${Object.values(demo.names).join(', ')})`);

    // ---- 3. API and worker on the host, Prometheus scraping everything
    const ports = options.fixedPorts
      ? { api: 8080, worker: 9464, prometheus: 9090 }
      : await freePorts(3).then(([api, worker, prometheus]) => ({ api, worker, prometheus }));
    const token = randomBytes(24).toString('hex');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/gameday',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0',
      QUEUE_PREFIX: `gameday-demo-${randomBytes(3).toString('hex')}`,
      GAMEDAY_ADMIN_TOKEN: token,
      PORT: String(ports.api),
      WORKER_PORT: String(ports.worker),
      GAMEDAY_HELPER_IMAGE: helperImage,
      ...(watchdogImage ? { GAMEDAY_WATCHDOG_IMAGE: watchdogImage } : {}),
      // the engine's socket as the watchdog sees it, on the engine's host (the lab's guest)
      ...(engine === 'lab' ? { GAMEDAY_ENGINE_SOCKET: GUEST_ENGINE_SOCKET } : {}),
      LOG_LEVEL: 'warn',
      ...(dockerHost ? { DOCKER_HOST: dockerHost } : {}),
    };
    const logs = path.join(stateDir, 'logs');
    const procs: Managed[] = [
      startProcess('api', process.execPath, [path.join(ROOT, 'dist/apps/api/src/main.js')], env, logs),
      startProcess('worker', process.execPath, [path.join(ROOT, 'dist/apps/worker/src/main.js')], env, logs),
    ];
    cleanups.push(async () => {
      for (const p of procs.reverse()) await p.stop();
    });
    const apiUrl = `http://127.0.0.1:${ports.api}`;
    await waitForHttp(`${apiUrl}/readyz`, 30_000, `the API (log: ${procs[0].logFile})`);
    await waitForHttp(`http://127.0.0.1:${ports.worker}/healthz`, 30_000, `the worker (log: ${procs[1].logFile})`);
    const prometheusUrl = `http://127.0.0.1:${ports.prometheus}`;
    const prom = startPrometheus(stateDir, ports.prometheus, [
      ['gameday-api', `127.0.0.1:${ports.api}`],
      ['gameday-worker', `127.0.0.1:${ports.worker}`],
      ['demo-service1', `${engineHost}:${demo.ports.service1}`],
      ['demo-service2', service2Metrics],
    ]);
    procs.push(prom);
    await waitForHttp(`${prometheusUrl}/-/ready`, 30_000, `Prometheus (log: ${prom.logFile})`);
    log(`API ${apiUrl}  worker metrics http://127.0.0.1:${ports.worker}/metrics  Prometheus ${prometheusUrl}`);

    // ---- 4. the example GameDay, a few seconds ahead
    const startAt = new Date(Math.ceil((Date.now() + (options.leadSeconds ?? 10) * 1000) / 1000) * 1000);
    spec.schedule = { at: startAt.toISOString() };
    spec.name = `${spec.name} (${startAt.toISOString().slice(0, 19)}Z)`;
    for (const e of spec.experiments) {
      pointAtDemo(e);
      for (const p of e.hypothesis.probes) p.url = p.url.replace('http://127.0.0.1:8000', service1);
      if (e.load) e.load.url = e.load.url.replace('http://127.0.0.1:8000', service1);
      // recovery 35 s: after the 5 s settle, ~30 probe samples, so one or two of the lab guest's stray
      // stalls (300-700 ms even at steady state on a busy 2-core host) do not decide the 90 % check
      // no durations.arming: the run arms ahead of the baseline by the lead the engine learned, as a
      // GameDay written by someone who never heard of arming would (60 s on a fresh engine)
      // an experiment of steps keeps its windows: its steps' offsets are set against its fault window
      if (options.fast && !e.steps) e.durations = { baseline: '25s', fault: '30s', recovery: '35s', settle: '5s' };
      if (engine === 'lab') {
        // The lab kernel has one slow virtual CPU and service2 opens a database connection per
        // request (~250 ms of guest CPU each): the example's load would saturate it before any
        // fault. One request per second from the load and one from the probe stays well below.
        if (e.load) e.load = { ...e.load, rate: 1, concurrency: 1 };
        for (const p of e.hypothesis.probes) p.interval = '1s';
        // Arming there is a container start and about ten docker execs: 26-43 s on a machine where
        // one exec takes 1.3 s. The lab engine is new at every boot, so its first run arms 60 s
        // ahead (the cold lead) and later ones by what it learned (p90 × 1.5): no arming is set here.
        // After T1 the worker confirms the helper's revert with about five docker execs (its record,
        // the revert command, the qdisc checks): 1.3-2 s of the one virtual CPU each, until about
        // T1+8 s. Requests to service2 in that stretch took 100-370 ms (measured: 212 ms at T1+6 s,
        // 30 ms from T1+8 s on) against a 300 ms timeout, so the judged recovery starts after it:
        // settle 10 s, and the recovery window 5 s longer to keep its number of samples.
        const recoveryS = parseDurationMs(e.durations.recovery)! / 1000 + 5;
        e.durations = { ...e.durations, settle: '10s', recovery: `${recoveryS}s` };
        if (e.hypothesis.tolerances?.minSamples)
          e.hypothesis.tolerances.minSamples = Math.min(e.hypothesis.tolerances.minSamples, 10);
      }
    }
    if (engine === 'lab')
      log('lab engine: load reduced to 1 request/s and probes to one per second (one slow virtual CPU)');
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const main = await scheduleAndFollow(apiUrl, auth, spec, startAt, service1, log);
    const { runId, spotChecks } = main;
    let run = main.run;

    // ---- 6. verdict, report, what Prometheus saw
    const reportRes = await fetch(`${apiUrl}/api/v1/runs/${runId}/report`, {
      headers: { ...auth, accept: 'text/html' },
    });
    const reportPath = path.join(stateDir, `report-${runId}.html`);
    writeFileSync(reportPath, await reportRes.text());
    // the verdict's gauges are set moments before the run ends: let Prometheus scrape them (1 s)
    await new Promise((r) => setTimeout(r, 3_000));
    const prometheus = await queryPrometheus(prometheusUrl, startAt.getTime());
    let flipped: DemoResult['flipped'];
    if (options.flip) {
      const noTimeout = (options.flipWith ?? withoutTimeout)(spec);
      // the flip only has to show the fault-window checks failing: shorter windows (minSamples still met)
      if (options.fast)
        for (const e of noTimeout.experiments)
          if (!e.steps) e.durations = { baseline: '15s', fault: '20s', recovery: '20s', settle: '5s' };
      const flipAt = new Date(Math.ceil((Date.now() + (options.leadSeconds ?? 10) * 1000) / 1000) * 1000);
      noTimeout.schedule = { at: flipAt.toISOString() };
      log('The same GameDay against service1 WITHOUT its timeout: the hypothesis must now be violated.');
      const f = await scheduleAndFollow(apiUrl, auth, noTimeout, flipAt, service1, log, false);
      flipped = { runId: f.runId, status: f.run.status, verdict: f.run.verdict, run: f.run };
      run = (await (await fetch(`${apiUrl}/api/v1/runs/${runId}`, { headers: auth })).json()) as RunDetail;
    }
    const result: DemoResult = {
      engine,
      runId,
      verdict: run.verdict,
      status: run.status,
      run,
      reportPath,
      reportUrl: `${apiUrl}/api/v1/runs/${runId}/report`,
      apiUrl,
      prometheusUrl,
      spotChecks,
      flipped,
      prometheus,
    };
    await options.beforeCleanup?.(result);
    return result;
  } finally {
    await cleanup();
  }
}

/** Creates the GameDay, waits for its run and follows it to the end, spot-checking each window. */
async function scheduleAndFollow(
  apiUrl: string,
  auth: Record<string, string>,
  spec: GameDayJson,
  startAt: Date,
  service1: string,
  log: (line: string) => void,
  spot = true,
): Promise<{ runId: string; run: RunDetail; spotChecks: DemoResult['spotChecks'] }> {
  const created = await fetch(`${apiUrl}/api/v1/gamedays`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(spec),
  });
  const createdBody = (await created.json()) as { id: string; nextRunAt: string };
  if (created.status !== 201)
    throw new Error(`creating the GameDay failed: HTTP ${created.status} ${JSON.stringify(createdBody)}`);
  const e0 = spec.experiments[0];
  log(
    `GameDay ${createdBody.id} "${spec.name}" starts at ${createdBody.nextRunAt}: baseline ${e0.durations.baseline}, ${faultsOf(e0)} for ${e0.durations.fault}, recovery ${e0.durations.recovery}`,
  );

  // ---- 5. follow the run; spot-check the classic numbers ourselves during each window
  const runId = await waitForRun(apiUrl, auth, createdBody.id, startAt.getTime() + 60_000);
  // people watch in the web UI with a viewer token (the admin token stays out of the output)
  const viewer = (await (
    await fetch(`${apiUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'demo-viewer', role: 'viewer' }),
    })
  ).json()) as { token: string };
  log(`live run page: ${apiUrl}/runs/${runId}  report page: ${apiUrl}/runs/${runId}/report`);
  log(`  (sign in with the viewer token ${viewer.token})`);
  const spotChecks: DemoResult['spotChecks'] = [];
  const seen = new Set<string>();
  let run: RunDetail;
  let checkedPhase = '';
  for (;;) {
    run = (await (await fetch(`${apiUrl}/api/v1/runs/${runId}`, { headers: auth })).json()) as RunDetail;
    for (const ev of run.events ?? []) {
      if (seen.has(ev.id)) continue;
      seen.add(ev.id);
      const skew = ev.plannedAt
        ? ` (planned ${ev.plannedAt.slice(11, 23)}, ${Date.parse(ev.at) - Date.parse(ev.plannedAt) >= 0 ? '+' : ''}${Date.parse(ev.at) - Date.parse(ev.plannedAt)} ms)`
        : '';
      log(`  ${ev.at.slice(11, 23)}  ${ev.type.padEnd(20)} ${ev.message}${skew}`);
    }
    if (TERMINAL.has(run.status)) break;
    const phase =
      run.status === 'observing'
        ? 'fault'
        : run.status === 'baseline'
          ? 'baseline'
          : run.status === 'recovery'
            ? 'recovery'
            : '';
    if (spot && phase && phase !== checkedPhase) {
      checkedPhase = phase;
      const checks = await spotCheck(service1, phase);
      spotChecks.push(...checks);
      for (const c of checks)
        log(`  spot check (${phase}): GET ${c.url} → ${c.status ?? 'error'} in ${c.ms.toFixed(0)} ms`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  log(windowsLine(run));
  return { runId, run, spotChecks };
}

type GameDayJson = ReturnType<typeof JSON.parse>;

/** "network {"delay":"500ms"} on service2", or an experiment's steps: what the log says is injected. */
function faultsOf(e: GameDayJson): string {
  const one = (f: GameDayJson) => {
    const on = f.target?.compose?.service ?? f.target?.container;
    return `${f.kind}${f.netem ? ` ${JSON.stringify(f.netem)}` : f.action ? ` ${f.action}` : ''}${on ? ` on ${on}` : ''}`;
  };
  if (Array.isArray(e.steps))
    return `${e.steps.length} steps (${e.steps.map((s: GameDayJson) => `${s.name}: ${one(s.fault)}`).join('; ')})`;
  return one(e.fault);
}

/** Every compose selector of the examples' stack (project "gameday") names the demo system's instead. */
function pointAtDemo(value: unknown): void {
  if (Array.isArray(value)) value.forEach(pointAtDemo);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const compose = o.compose as { project?: string } | undefined;
    if (compose && typeof compose === 'object' && compose.project === 'gameday') compose.project = DEMO_PROJECT;
    for (const v of Object.values(o)) pointAtDemo(v);
  }
}

/** The example with service1's timeout removed from probe and load; without guardrails, so the verdict (not an abort) speaks. */
export function withoutTimeout(spec: GameDayJson): GameDayJson {
  const copy = structuredClone(spec);
  copy.name = `${spec.name} without timeout`;
  for (const e of copy.experiments) {
    for (const p of e.hypothesis.probes) p.url = p.url.replace(/[?&]timeout_ms=\d+/, '');
    if (e.load) e.load.url = e.load.url.replace(/[?&]timeout_ms=\d+/, '');
    delete e.guardrails;
  }
  return copy;
}

/** Planned vs observed window boundaries of each experiment, and the gaps between them. */
export function windowsLine(run: RunDetail): string {
  const t = (ms: number) => new Date(ms).toISOString().slice(11, 23);
  return (run.result?.experiments ?? [])
    .map((e) => {
      if (!e.windows) return `  ${e.name}: no window record`;
      const w = e.windows;
      const rows = (['baseline', 'fault', 'recovery'] as const).map(
        (k) =>
          `  ${k.padEnd(9)} planned ${t(w.planned[k].from)}–${t(w.planned[k].to)}  judged ${t(w.observed[k].from)}–${t(w.observed[k].to)}`,
      );
      // where arming sat: ahead of the baseline, by the engine's learned lead or durations.arming
      if (e.plan.armAt !== undefined)
        rows.unshift(
          `  ${'arming'.padEnd(9)} planned ${t(e.plan.armAt)}–${t(e.plan.baselineAt)}  (${e.plan.arming === 'spec' ? 'durations.arming' : "the engine's learned lead"})`,
        );
      const gaps = w.gaps.map((g) => `${g.kind} ${((g.to - g.from) / 1000).toFixed(2)} s`).join(', ');
      return [
        `  windows of ${e.name}:`,
        ...rows,
        `  not judged (gaps between plan and reality): ${gaps || 'none'}`,
      ].join('\n');
    })
    .join('\n');
}

async function startDemoSystem(docker: Docker, bindIp: string, dbConnection: 'per-request' | 'pooled') {
  const suffix = randomBytes(3).toString('hex');
  const network = `${DEMO_PROJECT}-${suffix}`;
  const names = {
    db: `${DEMO_PROJECT}-db-${suffix}`,
    service2: `${DEMO_PROJECT}-service2-${suffix}`,
    service1: `${DEMO_PROJECT}-service1-${suffix}`,
  };
  const password = randomBytes(12).toString('hex');
  const created: Docker.Container[] = [];
  const compose = (service: string) => ({
    'com.docker.compose.project': DEMO_PROJECT,
    'com.docker.compose.service': service,
    'gameday.enabled': 'true',
  });
  const remove = async () => {
    for (const c of created.reverse()) await c.remove({ force: true, v: true }).catch(() => undefined);
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => undefined);
  };
  await docker.createNetwork({ Name: network, Labels: { 'gameday.demo': 'true' } });
  const run = async (name: string, image: string, alias: string, env: string[], port?: number) => {
    const c = await docker.createContainer({
      name,
      Image: image,
      Env: env,
      Labels: compose(alias),
      // The images' HEALTHCHECK starts a node (or pg_isready) process every 5 s per container. The
      // demo waits for service1's HTTP answer itself and nothing reads the health status; in the
      // lab's one virtual CPU those process starts took seconds each, piled up and stalled the
      // system under test for minutes after boot (a baseline p50 of 422 ms, once no arming at all).
      Healthcheck: { Test: ['NONE'] },
      ExposedPorts: port ? { [`${port}/tcp`]: {} } : undefined,
      HostConfig: {
        NetworkMode: network,
        PortBindings: port ? { [`${port}/tcp`]: [{ HostIp: bindIp, HostPort: '' }] } : undefined,
      },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [alias] } } },
    });
    created.push(c);
    await c.start();
    if (!port) return 0;
    const info = await c.inspect();
    return Number(info.NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort);
  };
  try {
    await run(names.db, IMAGES[0], 'demo-db', [`DEMO_DB_PASSWORD=${password}`]);
    const service2 = await run(
      names.service2,
      IMAGES[1],
      'service2',
      [`DATABASE_URL=postgresql://demo:${password}@demo-db:5432/demo`, 'PORT=8001', `DB_CONNECTION=${dbConnection}`],
      8001,
    );
    const service1 = await run(
      names.service1,
      IMAGES[2],
      'service1',
      ['UPSTREAM_URL=http://service2:8001/', 'PORT=8000'],
      8000,
    );
    return { names, network, ports: { service1, service2 }, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

function startPrometheus(stateDir: string, port: number, targets: [string, string][]): Managed {
  const dir = path.join(stateDir, 'prometheus');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    ...targets.flatMap(([job, target]) => [
      `  - job_name: ${job}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
    ]),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  return startProcess(
    'prometheus',
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    process.env,
    path.join(stateDir, 'logs'),
  );
}

async function waitForRun(
  apiUrl: string,
  headers: Record<string, string>,
  gameDayId: string,
  deadline: number,
): Promise<string> {
  while (Date.now() < deadline) {
    const res = await fetch(`${apiUrl}/api/v1/gamedays/${gameDayId}/runs`, { headers });
    const body = (await res.json()) as { items: { id: string }[] };
    if (body.items?.length) return body.items[0].id;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the GameDay did not fire');
}

/** What a person would try by hand: `time curl service1` and `time curl service1?timeout_ms=300`. */
async function spotCheck(service1: string, phase: string): Promise<DemoResult['spotChecks']> {
  const out: DemoResult['spotChecks'] = [];
  for (const url of [`${service1}/`, `${service1}/?timeout_ms=300`]) {
    const t0 = performance.now();
    try {
      const res = await fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(20_000) });
      await res.text();
      out.push({ phase, url, status: res.status, ms: performance.now() - t0 });
    } catch {
      out.push({ phase, url, status: null, ms: performance.now() - t0 });
    }
  }
  return out;
}

/** Every dashboard panel's query, run the way Grafana runs it: a range query over the run. */
async function queryPrometheus(url: string, fromMs: number): Promise<DemoResult['prometheus']> {
  const start = Math.floor(fromMs / 1000) - 30;
  const end = Math.ceil(Date.now() / 1000);
  const q = async (expr: string) => {
    const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: '2' });
    const res = await fetch(`${url}/api/v1/query_range?${params}`);
    const body = (await res.json()) as {
      status: string;
      data?: { result: { values: [number, string][] }[] };
      error?: string;
    };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  };
  const faultWindow = await q('max(gameday_fault_active)');
  const deviation = await q('max(gameday_steady_state_deviation_ratio)');
  const panels: PromQuery[] = [];
  const all = JSON.parse(readFileSync(path.join(ROOT, 'grafana', 'panel-queries.json'), 'utf8')) as {
    panel: string;
    expr: string;
  }[];
  for (const p of all) {
    // Grafana's variables as a dashboard with "All" selected and 1 s scrapes would resolve them
    const expr = p.expr.replace(/\$__rate_interval/g, '5s').replace(/\$(gameday|experiment)\b/g, '.*');
    panels.push({ panel: p.panel, expr, series: (await q(expr)).filter((r) => r.values.length > 0).length });
  }
  const lastDeviation = deviation[0]?.values.at(-1);
  return {
    faultWindowSeen: faultWindow.some((r) => r.values.some(([, v]) => Number(v) === 1)),
    deviationRatio: lastDeviation ? Number(lastDeviation[1]) : null,
    panels,
  };
}

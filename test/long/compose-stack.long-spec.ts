import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RUN_TERMINAL, type RunResult } from '@gameday/core';
import { freePort } from '../../tools/lab/processes';

// Long tier (`npm run test:long`): the whole stack under Docker Compose, as `npm run stack` starts
// it: every image built locally (Postgres, Redis and Prometheus from Debian's packages), `compose up`
// with whichever Compose CLI is present (scripts/stack.sh: v2 plugin, else docker-compose v1),
// waiting for health without `--wait`: two API replicas behind the gateway, two workers. Requests to
// the one published address reach both API replicas. Then the classic GameDay through the API that Compose
// publishes, its fault made a container fault (service2 paused: this kernel may have no netem):
// service1 with its 300 ms timeout must answer 500 at about the timeout while service2 hangs, and
// 200 again after; and again with the worker replica that holds the fault SIGKILLed while it is
// in: the run is taken over and the pause undone. Everything is taken down, volumes too, whatever happened. Prints how long the
// image builds, up, the run and down took. Out of CI for time (minutes of image builds and a run).

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
// names of its own: never the `gameday` project or the gameday/*:dev images other tests use
const PROJECT = 'gameday-stack-test';
const TAG = 'stacktest';
const TERMINAL = new Set<string>(RUN_TERMINAL);
jest.setTimeout(1_800_000);

const dir = mkdtempSync(path.join(tmpdir(), 'gameday-stack-'));
const envFile = path.join(dir, 'stack.env');
const seconds: Record<string, number> = {};
let apiUrl = '';
let token = '';

/** A clean environment: nothing of the caller's shell may fill one of the compose file's variables. */
function stackEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ENV_FILE: envFile,
    COMPOSE_PROJECT_NAME: PROJECT,
    TAG,
    ...extra,
  };
}

async function run(step: string, file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const t0 = performance.now();
  try {
    const { stdout } = await exec(file, args, { cwd: ROOT, env, maxBuffer: 64 << 20 });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${step} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`, { cause: e });
  } finally {
    seconds[step] = (seconds[step] ?? 0) + (performance.now() - t0) / 1000;
  }
}

const stack = (command: string, extra: NodeJS.ProcessEnv = {}) =>
  run(
    command === 'purge' ? 'down' : command,
    'bash',
    [path.join(ROOT, 'scripts', 'stack.sh'), command],
    stackEnv(extra),
  );

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${apiUrl}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** examples/classic.compose.gameday.json with service2 paused instead of slowed by netem. */
function classicOnPause(): Record<string, unknown> {
  const spec = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'classic.compose.gameday.json'), 'utf8'));
  spec.name = 'Classic on a container fault: service2 paused (compose stack test)';
  for (const e of spec.experiments) {
    e.fault = { kind: 'container', target: { compose: { project: PROJECT, service: 'service2' } }, action: 'pause' };
    // shorter windows; a pause needs no helper and no kernel probe: a short arming lead is enough
    e.durations = { arming: '10s', baseline: '20s', fault: '20s', recovery: '25s', settle: '5s' };
  }
  return spec;
}

interface RunDetail {
  id: string;
  status: string;
  verdict: string | null;
  error: string | null;
  events: { id: string; type: string; message: string; at: string }[];
  result: RunResult | null;
}

async function containersOf(service: string): Promise<string[]> {
  const { stdout } = await exec('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=com.docker.compose.project=${PROJECT}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
  ]);
  return stdout.trim().split('\n').filter(Boolean);
}

async function containerOf(service: string): Promise<string> {
  return (await containersOf(service))[0];
}

beforeAll(async () => {
  // the images (cached layers make a rebuild fast; the app images compile with npm run build unless SKIP_BUILD=1)
  for (const target of ['demo', 'app', 'stack'])
    await run('build', 'bash', [path.join(ROOT, 'scripts', 'images.sh'), target], {
      ...process.env,
      TAG,
    });
  // a .env of its own: generated secrets, free ports, this project and tag
  await run('build', 'bash', [path.join(ROOT, 'scripts', 'compose-env.sh'), envFile], stackEnv());
  const ports = { API_PORT: await freePort(), PROMETHEUS_PORT: await freePort(), SERVICE1_PORT: await freePort() };
  let text = readFileSync(envFile, 'utf8');
  for (const [key, value] of Object.entries({
    ...ports,
    COMPOSE_PROJECT_NAME: PROJECT,
    GAMEDAY_TAG: TAG,
    LOG_LEVEL: 'warn',
  }))
    text = text.replace(new RegExp(`^${key}=.*$`, 'm'), `${key}=${value}`);
  writeFileSync(envFile, text, { mode: 0o600 });
  token = /^GAMEDAY_ADMIN_TOKEN=(.+)$/m.exec(text)![1];
  apiUrl = `http://127.0.0.1:${ports.API_PORT}`;

  process.stdout.write(await stack('up', { SKIP_IMAGES: '1' }));
});

afterAll(async () => {
  let downError: unknown;
  try {
    await stack('purge');
  } catch (e) {
    downError = e;
  }
  rmSync(dir, { recursive: true, force: true });
  const fmt = (s?: number) => (s === undefined ? 'not run' : `${s.toFixed(1)} s`);
  process.stdout.write(
    `compose stack: images ${fmt(seconds.build)}, up ${fmt(seconds.up)}, run ${fmt(seconds.run)}, down ${fmt(seconds.down)}\n`,
  );
  if (downError) throw downError;
  // nothing of the project is left: containers, volumes, networks
  for (const kind of [
    ['ps', '-aq'],
    ['volume', 'ls', '-q'],
    ['network', 'ls', '-q'],
  ]) {
    const { stdout } = await exec('docker', [...kind, '--filter', `label=com.docker.compose.project=${PROJECT}`]);
    expect([kind[0], stdout.trim()]).toEqual([kind[0], '']);
  }
});

it('starts every service but the optional Grafana, healthy, two API and two worker replicas, the Docker socket in the workers only', async () => {
  const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
  const ids = stdout.trim().split('\n');
  const { stdout: rows } = await exec('docker', [
    'inspect',
    '-f',
    '{{ index .Config.Labels "com.docker.compose.service" }} {{ .State.Status }} {{ if .State.Health }}{{ .State.Health.Status }}{{ else }}-{{ end }} {{ range .Mounts }}{{ .Source }},{{ end }}',
    ...ids,
  ]);
  const containers = rows
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([service, state, health, mounts]) => ({ service, state, health, socket: mounts.includes('docker.sock') }));
  const replicas = (name: string) => containers.filter((c) => c.service === name).length;
  expect(
    Object.fromEntries([...new Set(containers.map((c) => c.service))].sort().map((n) => [n, replicas(n)])),
  ).toEqual({
    api: 2,
    'demo-db': 1,
    gateway: 1,
    migrate: 1,
    postgres: 1,
    prometheus: 1,
    redis: 1,
    service1: 1,
    service2: 1,
    worker: 2,
  });
  for (const { service: name, ...s } of containers) {
    if (name === 'migrate') expect([name, s.state]).toEqual([name, 'exited']);
    else expect([name, s.state, s.health]).toEqual([name, 'running', 'healthy']);
    expect([name, s.socket]).toEqual([name, name === 'worker']);
  }
  expect(await (await fetch(`${apiUrl}/readyz`)).json()).toMatchObject({ status: 'ready' });
});

/** A replica's own /metrics, read inside its container (the replicas publish no port). */
async function metricsOf(containerId: string, port: number): Promise<string> {
  const { stdout } = await exec('docker', [
    'exec',
    containerId,
    'node',
    '-e',
    `fetch('http://127.0.0.1:${port}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`,
  ]);
  return stdout;
}

/** The sum of a metric's samples whose labels contain `match`. */
function sumOf(text: string, metric: string, match = ''): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(metric) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

it('spreads API requests over both replicas behind the one published address', async () => {
  for (let i = 0; i < 20; i++) expect((await api('GET', '/gamedays?limit=1')).status).toBe(200);
  const served = await Promise.all(
    (await containersOf('api')).map(async (id) =>
      sumOf(await metricsOf(id, 8080), 'gameday_http_request_duration_seconds_count', 'route="/api/v1/gamedays"'),
    ),
  );
  process.stdout.write(`GET /gamedays served per API replica: ${served.join(', ')}\n`);
  expect(served).toHaveLength(2);
  for (const n of served) expect(n).toBeGreaterThanOrEqual(5);
});

/** Launches the classic GameDay on a pause and follows it to its end, printing its events; `onEvent` sees each once. */
async function launchAndFollow(onEvent: (type: string) => Promise<void> = async () => undefined): Promise<RunDetail> {
  const created = await api<{ id: string }>('POST', '/gamedays', classicOnPause());
  expect(created.status).toBe(201);
  const launched = await api<{ id: string }>('POST', `/gamedays/${created.body.id}/runs`);
  expect(launched.status).toBe(201);
  const seen = new Set<string>();
  let detail: RunDetail;
  const deadline = Date.now() + 300_000;
  for (;;) {
    detail = (await api<RunDetail>('GET', `/runs/${launched.body.id}`)).body;
    for (const ev of detail.events ?? [])
      if (!seen.has(ev.id)) {
        seen.add(ev.id);
        process.stdout.write(`  ${ev.at.slice(11, 23)}  ${ev.type.padEnd(20)} ${ev.message}\n`);
        await onEvent(ev.type);
      }
    if (TERMINAL.has(detail.status) || Date.now() > deadline) return detail;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function service2Paused(): Promise<string> {
  const { stdout } = await exec('docker', ['inspect', '-f', '{{ .State.Paused }}', await containerOf('service2')]);
  return stdout.trim();
}

/** The workers' side of the story before the stack is taken down. */
async function printWorkerLogs(): Promise<void> {
  for (const id of await containersOf('worker')) {
    const logs = await exec('docker', ['logs', '--tail', '40', id]).catch(() => undefined);
    process.stdout.write(
      `worker ${id.slice(0, 12)} log (last 40 lines):\n${logs?.stdout ?? ''}${logs?.stderr ?? ''}\n`,
    );
  }
}

it('runs the classic GameDay on a container fault through the published API: the hypothesis holds', async () => {
  const t0 = performance.now();
  try {
    const detail = await launchAndFollow();
    const e = detail.result?.experiments[0];
    process.stdout.write(
      `run ${detail.status}, verdict ${detail.verdict} (${e?.verdict.reason ?? detail.error}); p50 baseline ${e?.stats.baseline.p50Ms} ms, fault ${e?.stats.fault.p50Ms} ms, recovery ${e?.stats.recovery.p50Ms} ms\n`,
    );
    expect([detail.status, detail.verdict]).toEqual(['completed', 'hypothesis_held']);
    const types = detail.events.map((ev) => ev.type);
    expect(types).toEqual(expect.arrayContaining(['fault.applied', 'fault.reverted']));
    // the pause really bit: service1 waited for its 300 ms timeout during the fault, not before
    expect(e!.stats.fault.p50Ms).toBeGreaterThanOrEqual(250);
    expect(e!.stats.baseline.p50Ms).toBeLessThan(250);
    // and it was undone: service2 runs, unpaused
    expect(await service2Paused()).toBe('false');
  } catch (err) {
    await printWorkerLogs();
    throw err;
  } finally {
    seconds.run = (performance.now() - t0) / 1000;
  }
});

it('a worker replica SIGKILLed while its fault is in: the run is taken over and the pause undone', async () => {
  let killed = '';
  try {
    const detail = await launchAndFollow(async (type) => {
      if (type !== 'fault.applied' || killed) return;
      // the replica whose fault is in (its gameday_fault_active gauge), not the idle one
      for (const id of await containersOf('worker'))
        if (sumOf(await metricsOf(id, 9464), 'gameday_fault_active') > 0) killed = id;
      expect(killed).not.toBe('');
      await exec('docker', ['kill', '--signal', 'KILL', killed]);
      process.stdout.write(`  SIGKILLed worker replica ${killed.slice(0, 12)}\n`);
    });
    process.stdout.write(`run ${detail.status}, verdict ${detail.verdict} (${detail.error ?? ''})\n`);
    expect(killed).not.toBe('');
    // another replica (or the killed one, restarted by its policy) finished the run
    expect(TERMINAL.has(detail.status)).toBe(true);
    const types = detail.events.map((ev) => ev.type);
    expect(types).toContain('run.resumed');
    // undone by T1 by another replica: its reaper (from the lease) or the resumed run's rollback
    expect(types.filter((t) => t === 'fault.reverted' || t === 'fault.reaped')).not.toHaveLength(0);
    expect(await service2Paused()).toBe('false');
  } catch (err) {
    await printWorkerLogs();
    throw err;
  }
});

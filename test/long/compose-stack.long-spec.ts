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
// waiting for health without `--wait`. Then the classic GameDay through the API that Compose
// publishes, its fault made a container fault (service2 paused: this kernel may have no netem):
// service1 with its 300 ms timeout must answer 500 at about the timeout while service2 hangs, and
// 200 again after. Everything is taken down, volumes too, whatever happened. Prints how long the
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

async function containerOf(service: string): Promise<string> {
  const { stdout } = await exec('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=com.docker.compose.project=${PROJECT}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
  ]);
  return stdout.trim();
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

it('starts every service but the optional Grafana, healthy, with the Docker socket in the worker only', async () => {
  const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
  const ids = stdout.trim().split('\n');
  const { stdout: rows } = await exec('docker', [
    'inspect',
    '-f',
    '{{ index .Config.Labels "com.docker.compose.service" }} {{ .State.Status }} {{ if .State.Health }}{{ .State.Health.Status }}{{ else }}-{{ end }} {{ range .Mounts }}{{ .Source }},{{ end }}',
    ...ids,
  ]);
  const services = Object.fromEntries(
    rows
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([service, state, health, mounts]) => [service, { state, health, socket: mounts.includes('docker.sock') }]),
  );
  expect(Object.keys(services).sort()).toEqual(
    ['api', 'demo-db', 'migrate', 'postgres', 'prometheus', 'redis', 'service1', 'service2', 'worker'].sort(),
  );
  for (const [name, s] of Object.entries(services)) {
    if (name === 'migrate') expect([name, s.state]).toEqual([name, 'exited']);
    else expect([name, s.state, s.health]).toEqual([name, 'running', 'healthy']);
    expect([name, s.socket]).toEqual([name, name === 'worker']);
  }
  expect(await (await fetch(`${apiUrl}/readyz`)).json()).toMatchObject({ status: 'ready' });
});

it('runs the classic GameDay on a container fault through the published API: the hypothesis holds', async () => {
  const t0 = performance.now();
  try {
    const created = await api<{ id: string }>('POST', '/gamedays', classicOnPause());
    expect(created.status).toBe(201);
    const launched = await api<{ id: string }>('POST', `/gamedays/${created.body.id}/runs`);
    expect(launched.status).toBe(201);
    const runId = launched.body.id;
    const seen = new Set<string>();
    let detail: RunDetail;
    const deadline = Date.now() + 300_000;
    for (;;) {
      detail = (await api<RunDetail>('GET', `/runs/${runId}`)).body;
      for (const ev of detail.events ?? [])
        if (!seen.has(ev.id)) {
          seen.add(ev.id);
          process.stdout.write(`  ${ev.at.slice(11, 23)}  ${ev.type.padEnd(20)} ${ev.message}\n`);
        }
      if (TERMINAL.has(detail.status) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
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
    const { stdout } = await exec('docker', ['inspect', '-f', '{{ .State.Paused }}', await containerOf('service2')]);
    expect(stdout.trim()).toBe('false');
  } catch (err) {
    // the worker's side of the story before the stack is taken down
    const logs = await exec('docker', ['logs', '--tail', '40', await containerOf('worker')]).catch(() => undefined);
    process.stdout.write(`worker log (last 40 lines):\n${logs?.stdout ?? ''}${logs?.stderr ?? ''}\n`);
    throw err;
  } finally {
    seconds.run = (performance.now() - t0) / 1000;
  }
});

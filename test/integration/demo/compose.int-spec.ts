import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { buildDemoImages, docker, REPO_ROOT } from './demo-stack';
import { freePort } from '../../../tools/lab/processes';

// Validates docker-compose.yml with whichever Compose CLI the host has (the `docker compose`
// plugin or docker-compose v1.29+; scripts/bootstrap.sh installs one). No CLI is a failure.
const exec = promisify(execFile);
const FILE = join(REPO_ROOT, 'docker-compose.yml');
const ENV_EXAMPLE = join(REPO_ROOT, '.env.example');

async function composeCli(): Promise<string[]> {
  for (const cli of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await exec(cli[0], [...cli.slice(1), 'version']);
      return cli;
    } catch {
      /* try the next one */
    }
  }
  throw new Error(
    'no Compose CLI: install the docker compose plugin or docker-compose (bash scripts/bootstrap.sh docker)',
  );
}

async function compose(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const cli = await composeCli();
  // A clean environment: nothing from the caller's shell may satisfy a required variable.
  const clean = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env };
  const { stdout } = await exec(cli[0], [...cli.slice(1), '--project-directory', REPO_ROOT, '-f', FILE, ...args], {
    env: clean,
    cwd: REPO_ROOT,
  });
  return stdout;
}

/** Service name → its block of the normalised `config` output (two-space indented YAML). */
function serviceBlocks(config: string): Map<string, string> {
  const lines = config.split('\n');
  const start = lines.indexOf('services:');
  const blocks = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // next top-level key
    const m = /^ {2}([A-Za-z0-9_.-]+):$/.exec(line);
    if (m) {
      current = m[1];
      blocks.set(current, '');
    } else if (current) {
      blocks.set(current, `${blocks.get(current)}${line}\n`);
    }
  }
  return blocks;
}

describe('docker-compose.yml', () => {
  let config = '';

  beforeAll(async () => {
    config = await compose(['--env-file', ENV_EXAMPLE, 'config']);
  });

  it('validates with the documented .env.example', () => {
    expect(config).toContain('services:');
  });

  it('refuses to render without the secrets (no defaults for passwords or tokens)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gameday-compose-'));
    try {
      writeFileSync(join(dir, 'empty.env'), '');
      await expect(compose(['--env-file', join(dir, 'empty.env'), 'config', '-q'])).rejects.toThrow(
        /POSTGRES_PASSWORD|GAMEDAY_ADMIN_TOKEN|DEMO_DB_PASSWORD|GRAFANA_ADMIN_PASSWORD/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has the whole stack', () => {
    expect([...serviceBlocks(config).keys()].sort()).toEqual([
      'api',
      'demo-db',
      'gateway',
      'grafana',
      'migrate',
      'postgres',
      'prometheus',
      'redis',
      'service1',
      'service2',
      'worker',
    ]);
  });

  it('starts the API and worker only after the migrations succeeded', () => {
    for (const name of ['api', 'worker'])
      expect(serviceBlocks(config).get(name)).toMatch(/migrate:\n\s+condition: service_completed_successfully/);
  });

  it('runs two API replicas behind the gateway (the one published API address) and two workers', () => {
    const blocks = serviceBlocks(config);
    for (const name of ['api', 'worker'])
      expect([name, /replicas: (\d+)/.exec(blocks.get(name)!)?.[1]]).toEqual([name, '2']);
    expect(blocks.get('api')).not.toContain('ports:');
    expect(blocks.get('api')).toMatch(/TRUST_PROXY_HOPS: '?1'?/);
    expect(blocks.get('gateway')).toMatch(/published: ["']?\d+|127\.0\.0\.1:\d+:8080/);
    expect(blocks.get('gateway')).toMatch(/api:\n\s+condition: service_healthy/);
  });

  it('gives the Docker socket to the worker and to no one else', () => {
    const withSocket = [...serviceBlocks(config)].filter(([, b]) => b.includes('/var/run/docker.sock')).map(([n]) => n);
    expect(withSocket).toEqual(['worker']);
  });

  it('restarts every long-running service and health-checks every one not checked by its image', () => {
    for (const [name, block] of serviceBlocks(config)) {
      if (name === 'migrate') {
        expect(block).toMatch(/condition: service_healthy/); // waits for Postgres, runs once
        continue;
      }
      expect(`${name}: ${/restart: unless-stopped/.test(block)}`).toBe(`${name}: true`);
      if (!name.startsWith('demo-') && !name.startsWith('service'))
        expect(`${name}: ${block.includes('healthcheck:')}`).toBe(`${name}: true`);
    }
  });

  it('publishes ports on the configured address (127.0.0.1 by default) only', () => {
    const raw = readFileSync(FILE, 'utf8');
    // the formatter may quote with ' or "
    const ports = raw.match(/^ {6}- ["'][^"']*:(\d+|\$\{[A-Z0-9]+_PORT:-\d+\}):\d+["']$/gm) ?? [];
    expect(ports.length).toBe(4); // gateway (the API), prometheus, grafana, service1
    for (const p of ports) expect(p).toMatch(/- ["']\$\{BIND_ADDRESS:-127\.0\.0\.1\}:/);
    expect(config).not.toContain('0.0.0.0');
  });

  it("marks GameDay's own containers so the fault engine refuses them", () => {
    for (const name of ['api', 'gateway', 'worker', 'migrate', 'postgres', 'redis', 'prometheus', 'grafana']) {
      expect(serviceBlocks(config).get(name)).toMatch(/gameday\.role: \w+/);
    }
  });

  it('keeps the targets off the control plane: separate networks, only the worker and Prometheus on both', () => {
    const networksOf = (name: string) =>
      [
        ...(/\n {4}networks:\n((?: {6}\S+: null\n)+)/.exec(`\n${serviceBlocks(config).get(name)}`)?.[1] ?? '').matchAll(
          /^ {6}(\S+):/gm,
        ),
      ].map((m) => m[1]);
    for (const name of ['postgres', 'redis', 'migrate', 'api', 'gateway', 'grafana'])
      expect([name, networksOf(name)]).toEqual([name, ['control']]);
    for (const name of ['demo-db', 'service1', 'service2'])
      expect([name, networksOf(name)]).toEqual([name, ['targets']]);
    for (const name of ['worker', 'prometheus'])
      expect([name, networksOf(name)]).toEqual([name, ['control', 'targets']]);
  });

  it('protects Redis with a password and gives the admin token to the API only', async () => {
    const blocks = serviceBlocks(config);
    expect(blocks.get('redis')).toContain('--requirepass');
    for (const name of ['api', 'worker']) expect(blocks.get(name)).toMatch(/REDIS_URL: redis:\/\/:[^@\s]+@redis:6379/);
    expect(blocks.get('api')).toContain('GAMEDAY_ADMIN_TOKEN');
    const withToken = [...blocks].filter(([, b]) => b.includes('GAMEDAY_ADMIN_TOKEN')).map(([n]) => n);
    expect(withToken).toEqual(['api']);
    const dir = mkdtempSync(join(tmpdir(), 'gameday-compose-'));
    try {
      const withoutRedisPassword = readFileSync(ENV_EXAMPLE, 'utf8').replace(/^REDIS_PASSWORD=.*$/m, '');
      writeFileSync(join(dir, 'no-redis.env'), withoutRedisPassword);
      await expect(compose(['--env-file', join(dir, 'no-redis.env'), 'config', '-q'])).rejects.toThrow(
        /REDIS_PASSWORD/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds every image but the optional Grafana locally (scripts/images.sh), Grafana behind a profile', () => {
    const images = [...serviceBlocks(config)].map(([n, b]) => [n, /^ {4}image: (\S+)$/m.exec(b)?.[1] ?? '']);
    for (const [name, image] of images)
      if (name !== 'grafana') expect([name, image]).toEqual([name, expect.stringMatching(/^gameday\/[a-z0-9-]+:dev$/)]);
    expect(serviceBlocks(config).get('grafana')).toMatch(/^ {4}profiles:\n {4}- grafana$/m);
    const profiled = [...serviceBlocks(config)].filter(([, b]) => b.includes('profiles:')).map(([n]) => n);
    expect(profiled).toEqual(['grafana']);
  });

  it('uses named volumes for every stateful service', async () => {
    expect((await compose(['--env-file', ENV_EXAMPLE, 'config', '--volumes'])).trim().split('\n').sort()).toEqual([
      'grafana-data',
      'postgres-data',
      'prometheus-data',
      'redis-data',
    ]);
  });
});

describe('grafana/prometheus/prometheus.yml', () => {
  const file = join(REPO_ROOT, 'grafana', 'prometheus', 'prometheus.yml');

  it('is a valid Prometheus configuration (promtool)', async () => {
    const { stdout } = await exec('promtool', ['check', 'config', file]);
    expect(stdout).toContain('SUCCESS');
  });

  it('scrapes every API and worker replica (DNS) and both demo services at their compose names and ports', () => {
    const text = readFileSync(file, 'utf8');
    const jobs = [
      ...text.matchAll(
        /job_name: (\S+)\s+(?:static_configs:\s+- targets: \['([^']+)'\]|dns_sd_configs:\s+- names: \['([^']+)'\]\s+type: A\s+port: (\d+))/g,
      ),
    ].map((m) => (m[2] ? `${m[1]} ${m[2]}` : `${m[1]} dns ${m[3]}:${m[4]}`));
    expect(jobs).toEqual([
      'gameday-api dns api:8080',
      'gameday-worker dns worker:9464',
      'demo-service1 service1:8000',
      'demo-service2 service2:8001',
    ]);
  });
});

describe('the demo services under Compose', () => {
  const project = `gdtest-compose-${randomBytes(4).toString('hex')}`;
  let port = 0;
  const env = (): NodeJS.ProcessEnv => ({ SERVICE1_PORT: String(port), COMPOSE_PROJECT_NAME: project });

  beforeAll(async () => {
    port = await freePort();
    await buildDemoImages();
  }, 600_000);

  afterAll(async () => {
    await compose(['--env-file', ENV_EXAMPLE, '-p', project, 'down', '-v', '--remove-orphans'], env()).catch(
      () => undefined,
    );
  }, 120_000);

  it('come up healthy in dependency order and serve the page, labelled for compose targeting', async () => {
    await compose(['--env-file', ENV_EXAMPLE, '-p', project, 'up', '-d', 'service1'], env());
    const deadline = Date.now() + 60_000;
    let body = '';
    while (Date.now() < deadline) {
      // with a timeout: a first request that meets the published port before service1 listens can
      // be reset in a way that leaves Node's fetch pending for ever
      body = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) }).then(
        (r) => (r.ok ? r.text() : ''),
        () => '',
      );
      if (body) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(body).toBe('<h1>Data</h1><p><table><tr><td>joe</td><td>cool</td></tr></table></p>');
    // A GameDay's {"compose": {"project", "service"}} target finds service2 by these labels.
    const ids = (
      await docker(
        'ps',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${project}`,
        '--filter',
        'label=com.docker.compose.service=service2',
      )
    )
      .split('\n')
      .filter(Boolean);
    expect(ids).toHaveLength(1);
    expect(await docker('inspect', '-f', '{{ index .Config.Labels "gameday.enabled" }}', ids[0])).toBe('true');
  }, 120_000);
});

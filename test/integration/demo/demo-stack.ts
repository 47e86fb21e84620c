import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const REPO_ROOT = join(__dirname, '..', '..', '..');

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Builds the demo images (cached layers make a rebuild take seconds). */
export async function buildDemoImages(tag = 'dev'): Promise<void> {
  await exec('bash', [join(REPO_ROOT, 'scripts', 'images.sh'), 'demo'], {
    env: { ...process.env, TAG: tag },
    maxBuffer: 64 * 1024 * 1024,
  });
}

export interface DemoStack {
  prefix: string;
  network: string;
  containers: { db: string; service1: string; service2: string };
  /** Base URLs on 127.0.0.1 (published ports). */
  service1Url: string;
  service2Url: string;
  stop(): Promise<void>;
}

async function publishedPort(container: string, port: number): Promise<number> {
  const out = await docker('port', container, `${port}/tcp`);
  const m = /127\.0\.0\.1:(\d+)/.exec(out);
  if (!m) throw new Error(`no 127.0.0.1 port published for ${container}:${port} (docker port said "${out}")`);
  return Number(m[1]);
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Starts demo db, service2 and service1 on a private network with unique names; only service1 and
 * service2 publish ports, on 127.0.0.1. stop() removes everything it created.
 */
export async function startDemoStack(tag = 'dev', options: { optIn?: boolean } = {}): Promise<DemoStack> {
  // opted in, the containers may be fault targets (the label every target must carry)
  const optIn = options.optIn ? ['--label', 'gameday.enabled=true'] : [];
  const prefix = `gdtest-demo-${randomBytes(4).toString('hex')}`;
  const network = `${prefix}-net`;
  const c = { db: `${prefix}-db`, service2: `${prefix}-service2`, service1: `${prefix}-service1` };
  const password = randomBytes(12).toString('hex');
  const created: string[] = [];
  const stop = async (): Promise<void> => {
    for (const name of [...created].reverse()) await docker('rm', '-f', '-v', name).catch(() => undefined);
    await docker('network', 'rm', network).catch(() => undefined);
  };
  try {
    await docker('network', 'create', '--label', 'gameday.test=demo', network);
    await docker(
      'run',
      '-d',
      '--name',
      c.db,
      ...optIn,
      '--network',
      network,
      '--network-alias',
      'db',
      '-e',
      `DEMO_DB_PASSWORD=${password}`,
      `gameday/demo-db:${tag}`,
    );
    created.push(c.db);
    await docker(
      'run',
      '-d',
      '--name',
      c.service2,
      ...optIn,
      '--network',
      network,
      '--network-alias',
      'service2',
      '-p',
      '127.0.0.1::8001',
      '-e',
      `DATABASE_URL=postgresql://demo:${password}@db:5432/demo`,
      `gameday/demo-service2:${tag}`,
    );
    created.push(c.service2);
    await docker(
      'run',
      '-d',
      '--name',
      c.service1,
      ...optIn,
      '--network',
      network,
      '-p',
      '127.0.0.1::8000',
      '-e',
      'UPSTREAM_URL=http://service2:8001/',
      `gameday/demo-service1:${tag}`,
    );
    created.push(c.service1);
    const service1Url = `http://127.0.0.1:${await publishedPort(c.service1, 8000)}`;
    const service2Url = `http://127.0.0.1:${await publishedPort(c.service2, 8001)}`;
    // service1's page needs the whole chain: service2 up and the database accepting the demo role.
    await waitForHttp(`${service1Url}/`, 60_000);
    return { prefix, network, containers: c, service1Url, service2Url, stop };
  } catch (e) {
    const logs = await Promise.all(
      created.map(async (n) => `--- ${n}\n${await docker('logs', '--tail', '20', n).catch(() => '')}`),
    );
    await stop();
    throw new Error(`${String(e)}\n${logs.join('\n')}`, { cause: e });
  }
}

export async function timedGet(url: string): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { connection: 'close' } });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t0 };
}

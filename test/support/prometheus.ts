import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../tools/lab/processes';

export interface PromData {
  resultType: string;
  result: Array<{ metric: Record<string, string>; values?: Array<[number, string]>; value?: [number, string] }>;
}

/** One call to Prometheus's HTTP API; throws with Prometheus's own error text. */
export async function promQuery(base: string, path: string, params: Record<string, string>): Promise<PromData> {
  const res = await fetch(`${base}/api/v1/${path}?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { status: string; error?: string; data: never };
  if (body.status !== 'success') throw new Error(`${params.query}: ${body.error}`);
  return body.data;
}

export interface RunningPrometheus {
  /** base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  stop(): Promise<void>;
}

/**
 * Debian's Prometheus on a free port, scraping each job's host:port every second, resolved once
 * every job has been scraped successfully (30 s at most, with Prometheus's log in the error).
 */
export async function startPrometheus(jobs: Record<string, string>): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'gameday-prom-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      ...Object.entries(jobs).map(
        ([job, target]) => `  - { job_name: ${job}, static_configs: [ { targets: ['${target}'] } ] }`,
      ),
      '',
    ].join('\n'),
  );
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr?.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-4000);
  });
  const stop = async (): Promise<void> => {
    if (prom.exitCode === null && prom.signalCode === null) {
      const exited = new Promise((r) => prom.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const spawnError = new Promise<never>((_, reject) =>
    prom.once('error', (e) => reject(new Error(`prometheus did not start: ${e.message}`))),
  );
  const jobNames = Object.keys(jobs).join('|');
  const ready = (async () => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const up = await promQuery(url, 'query', { query: `sum(up{job=~"${jobNames}"})` });
        if (Number(up.result[0]?.value?.[1]) === Object.keys(jobs).length) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`prometheus targets not up within 30 s\n${log}`);
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, stop };
}

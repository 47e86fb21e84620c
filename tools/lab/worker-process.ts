// Real worker processes for lab tests: spawned as separate OS processes so a test can SIGKILL one
// mid-run, the way a node crash or an OOM kill takes a worker away (no shutdown hooks, no
// lock release, nothing flushed).
import { freePort } from './processes';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface WorkerProcessOptions {
  /** shown in logs and tables */
  name: string;
  /** the worker's environment on top of PATH/HOME (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, DOCKER_HOST, …) */
  env: Record<string, string>;
  /** the child's stdout/stderr go here (appended) */
  logFile: string;
  readyTimeoutMs?: number;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * `GAMEDAY_LAB_WORKER=dist` runs the built entry (`npm run build` first), as a deployment does;
 * by default the worker runs from the working tree's sources.
 */
function workerCommand(): string[] {
  if (process.env.GAMEDAY_LAB_WORKER === 'dist') return [path.join(ROOT, 'dist/apps/worker/src/main.js')];
  return ['-r', '@swc-node/register', path.join(__dirname, 'worker-entry.ts')];
}

export class WorkerProcess {
  readonly exited: Promise<WorkerExit>;
  private exit: WorkerExit | undefined;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** SIGKILL: the process gets no chance to clean up. Resolves once it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<WorkerExit> {
    if (this.alive) this.child.kill(signal);
    return this.exited;
  }

  /** The tail of the worker's log, for failure messages. */
  logTail(chars = 4_000): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }
}

/** Spawns a worker and resolves once its /healthz answers 200 (queue workers running). */
export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<WorkerProcess> {
  const port = await freePort();
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(process.execPath, workerCommand(), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      ...opts.env,
      WORKER_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once('exit', () => setTimeout(() => log.end(), 100));
  const worker = new WorkerProcess(opts.name, child, port, opts.logFile);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (!worker.alive)
      throw new Error(
        `worker ${opts.name} exited before it was ready (${JSON.stringify(await worker.exited)}):\n${worker.logTail()}`,
      );
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return worker;
    if (Date.now() > deadline) {
      await worker.kill();
      throw new Error(
        `worker ${opts.name} not healthy within ${opts.readyTimeoutMs ?? 60_000} ms:\n${worker.logTail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

export interface StepResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Docker exec with every capability: the `exec` strategy needs NET_ADMIN the target may lack. */
  privileged?: boolean;
  timeoutMs?: number;
  /** `KEY=value` words for the command's environment (never a shell string) */
  env?: string[];
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs argv in a container (no shell) and returns its exit code, stdout and stderr. */
export async function execInContainer(
  docker: Docker,
  containerId: string,
  argv: string[],
  options: ExecOptions = {},
): Promise<StepResult> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: argv,
    AttachStdout: true,
    AttachStderr: true,
    Privileged: options.privileged ?? false,
    User: options.privileged ? 'root' : undefined,
    ...(options.env ? { Env: options.env } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const stdout = collect(out);
  const stderr = collect(err);
  docker.modem.demuxStream(stream, out, err);
  const timeoutMs = options.timeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(
        new Error(`${argv.join(' ')} did not finish within ${timeoutMs} ms in container ${containerId.slice(0, 12)}`),
      );
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  // The stream can end a moment before the engine records the exit code.
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, stdout: stdout(), stderr: stderr() };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`exit code of ${argv.join(' ')} not available in container ${containerId.slice(0, 12)}`);
}

/** Docker API errors carry the HTTP status; 404 means the object is gone. */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

/** Socket errors of a Docker Engine that is not answering (restarting, or its host unreachable). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Whether an error says the engine did not answer, as opposed to answering "no": nothing can be
 * concluded about the containers from it (with live-restore they keep running through a dockerd
 * restart, faults and helpers included).
 */
export function isEngineUnreachable(err: unknown): boolean {
  type SocketError = { code?: unknown; syscall?: unknown; cause?: unknown };
  for (let e = err as SocketError | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
    // a local engine's socket file is missing while dockerd restarts
    if (e.code === 'ENOENT' && e.syscall === 'connect') return true;
    e = e.cause as SocketError | undefined;
  }
  return false;
}

export function isNotModified(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 304;
}

/** The container's details, or null when it no longer exists. */
export async function inspectOrNull(docker: Docker, id: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(id).inspect();
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** Stops (so a helper's TERM trap reverts what it still holds), then removes; absent is fine. */
export async function removeContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker
      .getContainer(id)
      .stop({ t: 5 })
      .catch((err) => {
        if (!isNotFound(err) && !isNotModified(err)) throw err;
      });
    await docker.getContainer(id).remove({ force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** A container's name without the leading slash the Engine API puts before it. */
export function shortName(name: string): string {
  return name.replace(/^\//, '');
}

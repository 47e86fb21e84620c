// What the lab benches share (bench/timing.ts, bench/steps.ts): the lab booted with both images and
// stopped on any end, a busybox target with an echo in its network namespace, the helper's own
// record, one abort of an applied fault, and the figures and their table.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { AbortPath, FaultLease, PreparedFault } from '@gameday/core';
import { ensureHelperImage, execInContainer, type DockerFaultDriver } from '@gameday/faults';
import type { LeaseLedger } from '../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../tools/lab/lab-images';
import { quantile } from '../tools/lab/stats';
import { startUmlDocker, type UmlDocker } from '../tools/lab/uml-docker';
import { EchoStream } from './echo-stream';
import type { TimingKind } from './timing-kinds';

export const ECHO_PORT_NUMBER = 7;
export const ECHO_PORT = `${ECHO_PORT_NUMBER}/tcp`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
export const run = promisify(execFile);

export interface Figures {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function figures(xs: number[]): Figures {
  return { n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs) };
}

export const ms = (x: number) => `${x.toFixed(1)} ms`;
export const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

export function table(rows: [string, Figures, string][]): string {
  const head = ['measure', 'n', 'p50', 'p99', 'max', 'vs baseline'];
  const cells = rows.map(([name, f, note]) => [name, String(f.n), ms(f.p50), ms(f.p99), ms(f.max), note]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(width[i])).join(' | ');
  return [line(head), width.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

/** Runs `fn` over `items`, at most `limit` at a time; results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** Runs `fn` and prints how long it took, in seconds. */
export async function phase<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  const out = await fn();
  process.stdout.write(`${what}: ${Math.round((Date.now() - t) / 1000)} s\n`);
  return out;
}

/** The environment of a `docker` CLI that talks to the lab's engine (the raw way). */
export function labDockerEnv(lab: UmlDocker): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: `tcp://${lab.host}:${lab.port}` };
}

/**
 * Boots the lab's nested Docker Engine with the target and helper images, runs `body`, and powers
 * the guest off at the end, also on failure or SIGINT/SIGTERM; a failure exits with 1.
 */
export function runInLab(
  body: (lab: UmlDocker, images: { target: string; helper: string }) => Promise<void>,
  memMb?: number,
): void {
  const main = async () => {
    const hostDocker = new Docker();
    const target = await ensureLabTargetImage(hostDocker);
    const helper = await ensureHelperImage(hostDocker);
    const lab = await startUmlDocker({ images: [target, helper], hostDocker, ...(memMb ? { memMb } : {}) });
    const stop = () => void lab.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      process.stdout.write(
        `nested Docker ready: API ${lab.timings.apiReadyMs} ms after launch, images loaded in ${lab.timings.imageLoads.map((l) => `${l.ms} ms`).join(', ')}\n`,
      );
      await body(lab, { target, helper });
    } finally {
      await lab.stop();
    }
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

/**
 * A busybox target labelled for GameDay, and an echo sharing its netns (its answers leave through
 * the target's eth0), port 7 published; one connection, so one `cat` process answers every message.
 */
export async function startEchoTarget(lab: UmlDocker, image: string, name: string): Promise<EchoStream> {
  const target = await lab.docker.createContainer({
    name,
    Image: image,
    Labels: { 'gameday.enabled': 'true' },
    ExposedPorts: { [ECHO_PORT]: {} },
    HostConfig: { PortBindings: { [ECHO_PORT]: [{ HostPort: '' }] } },
  });
  await target.start();
  const echo = await lab.docker.createContainer({
    name: `${name}-echo`,
    Image: image,
    Entrypoint: ['/bin/busybox'],
    Cmd: ['nc', '-ll', '-p', String(ECHO_PORT_NUMBER), '-e', '/bin/busybox', 'cat'],
    HostConfig: { NetworkMode: `container:${target.id}` },
  });
  await echo.start();
  const published = (await target.inspect()).NetworkSettings.Ports[ECHO_PORT]?.[0]?.HostPort;
  if (!published) throw new Error(`${name}'s ${ECHO_PORT} was not published`);
  const stream = await EchoStream.open(lab.host, Number(published));
  await stream.ready();
  return stream;
}

/** `gameday-helper status`: the helper's own record, in its clock. */
export async function helperStatus(docker: Docker, helperId: string): Promise<Record<string, string>> {
  const r = await execInContainer(docker, helperId, ['gameday-helper', 'status']);
  return Object.fromEntries(
    r.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
}

/** What of `kind` (ours, and the raw way's) is still on the target of `prepared`, by its helper. */
export async function residualCount(docker: Docker, kind: TimingKind, prepared: PreparedFault): Promise<number> {
  const { argv, count } = kind.residual(prepared);
  const r = await execInContainer(docker, prepared.helperContainerId!, argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return count(r.stdout);
}

export interface SingleAbort {
  /** request → the helper removed the fault (its record, in our clock) */
  removed: number;
  /** request → revert() returned, verified */
  returned: number;
  path: AbortPath | 'none';
}

/**
 * One fault applied now under its lease, aborted `afterMs` later through `via` (the driver that
 * armed the helper, or another one).
 */
export async function abortApplied(
  docker: Docker,
  ledger: LeaseLedger,
  armedBy: DockerFaultDriver,
  via: DockerFaultDriver,
  prepared: PreparedFault,
  afterMs: number,
): Promise<SingleAbort> {
  const lease: FaultLease = await ledger.apply(armedBy, prepared);
  await sleep(afterMs);
  const requested = Date.now();
  const r = await ledger.revert(via, lease, 'abort');
  const returned = Date.now() - requested;
  if (r.outcome !== 'reverted') throw new Error(`abort: revert outcome ${r.outcome}`);
  const st = await helperStatus(docker, prepared.helperContainerId!);
  // the helper's instant in the worker's clock
  const removed = Number(st.reverted_at) - (lease.details?.clockCorrectionMs ?? 0) - requested;
  return { removed, returned, path: r.abortPath ?? 'none' };
}

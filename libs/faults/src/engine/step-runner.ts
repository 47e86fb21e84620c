import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type Docker from 'dockerode';
import { execInContainer, type StepResult } from './docker-exec';
import { encodeProbeSteps, parseProbeResults } from './helper-protocol';

/** Runs one argv in the target's network namespace, however the strategy gets there. */
export interface StepRunner {
  /** The prefix a human would type to run the same argv (for dry runs and the timeline). */
  readonly prefix: string[];
  run(argv: string[]): Promise<StepResult>;
  /**
   * Runs several argvs in order, each whatever the previous one returned, in one round trip where
   * the strategy can (on a slow engine every exec costs a second of arming). Absent: one by one.
   */
  runAll?(argvs: string[][]): Promise<StepResult[]>;
}

/** Every argv in order through the runner's batch when it has one. */
export async function runAll(runner: StepRunner, argvs: string[][]): Promise<StepResult[]> {
  if (runner.runAll) return runner.runAll(argvs);
  const results: StepResult[] = [];
  for (const argv of argvs) results.push(await runner.run(argv));
  return results;
}

/** `sidecar`: the helper container shares the target's netns and has NET_ADMIN. */
export class HelperRunner implements StepRunner {
  readonly prefix: string[];
  constructor(
    private readonly docker: Docker,
    readonly helperId: string,
  ) {
    this.prefix = ['docker', 'exec', helperId.slice(0, 12)];
  }
  run(argv: string[]): Promise<StepResult> {
    return execInContainer(this.docker, this.helperId, argv);
  }
  async runAll(argvs: string[][]): Promise<StepResult[]> {
    const r = await execInContainer(this.docker, this.helperId, [
      'gameday-helper',
      'probe',
      ...encodeProbeSteps(argvs),
    ]);
    if (r.exitCode !== 0)
      throw new Error(`gameday-helper probe failed (exit code ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
    return parseProbeResults(r.stdout, argvs.length).map((s) => ({ ...s, stdout: '' }));
  }
}

/** `exec`: the target has tc itself; a privileged exec grants NET_ADMIN for this process only. */
export class TargetExecRunner implements StepRunner {
  readonly prefix: string[];
  constructor(
    private readonly docker: Docker,
    readonly containerId: string,
  ) {
    this.prefix = ['docker', 'exec', '--privileged', containerId.slice(0, 12)];
  }
  run(argv: string[]): Promise<StepResult> {
    return execInContainer(this.docker, this.containerId, argv, { privileged: true });
  }
}

/** `nsenter`: the worker runs on the Docker host as root and enters the netns it holds open. */
export class NsenterRunner implements StepRunner {
  readonly prefix: string[];
  constructor(private readonly netns: { fd: number; pid: number }) {
    if (!Number.isInteger(netns.pid) || netns.pid <= 0)
      throw new Error(`nsenter needs the target's PID, got ${netns.pid}`);
    this.prefix = ['nsenter', '-t', String(netns.pid), '-n', '--'];
  }
  run(argv: string[]): Promise<StepResult> {
    // the namespace is handed down as fd 3 and entered through it, never looked up again by PID
    return runWithFd('nsenter', ['--net=/proc/self/fd/3', '--', ...argv], this.netns.fd);
  }
}

const STEP_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

/** Runs a program (no shell) with `fd` as its fd 3; a missing program reads as exit code 127. */
function runWithFd(cmd: string, args: string[], fd: number): Promise<StepResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe', fd] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const keep = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) child.kill('SIGKILL');
      else into.push(chunk);
    };
    child.stdout!.on('data', keep(out));
    child.stderr!.on('data', keep(err));
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    let failed: Error | undefined;
    child.on('error', (e) => (failed = e));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        exitCode: failed ? 127 : (code ?? 128 + (signal ? (osConstants.signals[signal] ?? 9) : 9)),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: stderr || (failed ? failed.message : signal ? `${cmd} killed by ${signal}` : ''),
      });
    });
  });
}

import { execFile } from 'node:child_process';
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

/** `nsenter`: the worker runs on the Docker host as root and enters the netns by PID. */
export class NsenterRunner implements StepRunner {
  readonly prefix: string[];
  constructor(readonly pid: number) {
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`nsenter needs the target's PID, got ${pid}`);
    this.prefix = ['nsenter', '-t', String(pid), '-n', '--'];
  }
  run(argv: string[]): Promise<StepResult> {
    const [cmd, ...args] = [...this.prefix, ...argv];
    return new Promise((resolve) => {
      execFile(cmd, args, { timeout: 30_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err
          ? typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
            ? (err as unknown as { code: number }).code
            : 127
          : 0;
        resolve({
          exitCode: code,
          stdout: String(stdout),
          stderr: String(stderr) || (err && code === 127 ? err.message : ''),
        });
      });
    });
  }
}

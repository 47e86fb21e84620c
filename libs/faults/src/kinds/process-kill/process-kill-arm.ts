import type Docker from 'dockerode';
import {
  processKillPlan,
  type PreparedFault,
  type PrepareOptions,
  type ProcessKillFaultSpec,
  type ResolvedTarget,
} from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { armSidecar } from '../../engine/sidecar-arming';
import type { StepRunner } from '../../engine/step-runner';
import type { PreparedBase } from '../fault-kind';

/** Where the helper keeps its record (gameday-kill writes kill.log and kill.summary there). */
export const KILL_STATE_DIR = '/var/lib/gameday';

/**
 * Why the target's PID namespace is not its own to signal in, or null. A helper joins the
 * namespace the target has: the host's (`--pid host`) would show it every process of the host,
 * another container's would show that container's.
 */
export function pidNamespaceRefusal(info: Docker.ContainerInspectInfo | null, name: string): string | null {
  if (!info?.State?.Running) return `${name} is not running`;
  const mode = info.HostConfig?.PidMode ?? '';
  if (mode === 'host')
    return `${name} shares the host's PID namespace (pid: host): a process kill there could reach every process of the host, so it is refused`;
  if (mode.startsWith('container:'))
    return `${name} shares the PID namespace of container ${mode.slice('container:'.length, 'container:'.length + 12)}: its processes are not only its own, so a process kill is refused`;
  return null;
}

export class ProcessKillRefusedError extends Error {
  constructor(
    readonly containerName: string,
    readonly detail: string,
  ) {
    super(`process kill refused on ${containerName}: ${detail}; nothing was armed`);
    this.name = 'ProcessKillRefusedError';
  }
}

/** A process of the name, as the helper in the target's PID namespace sees it (PIDs of that namespace). */
export interface SeenProcess {
  pid: number;
  comm: string;
}

/**
 * The probe through the helper: `gameday-kill list NAME` reads /proc in the PID namespace the helper
 * joined. PID 1 there must be in another cgroup than the helper (the target's init): otherwise the
 * helper is alone in a namespace of its own and would signal nothing of the target's.
 */
export async function listInPidns(runner: StepRunner, process: string, containerName: string): Promise<SeenProcess[]> {
  const r = await runner.run(['gameday-kill', 'list', process]);
  if (r.exitCode !== 0)
    throw new ProcessKillRefusedError(
      containerName,
      `the helper cannot read the target's processes (gameday-kill list exit ${r.exitCode}: ${r.stderr.trim()})`,
    );
  const [first, ...rest] = r.stdout.split('\n');
  if (!/^pid1 \S+ cgroup=other$/.test(first ?? ''))
    throw new ProcessKillRefusedError(
      containerName,
      `the helper does not share the target's PID namespace (it reported "${first ?? ''}")`,
    );
  return rest
    .map((line) => line.trim().split(' '))
    .filter((w) => w.length === 2 && /^\d+$/.test(w[0]))
    .map(([pid, comm]) => ({ pid: Number(pid), comm }));
}

/**
 * Arms a process kill ahead of T0: refuses a target that shares the host's (or another
 * container's) PID namespace, starts the sidecar helper in the target's PID namespace (KILL only,
 * no network) that will keep its clock, checks through it that it sees the target's processes and
 * measures its clock. Signals nothing.
 */
export async function armProcessKill(
  engine: FaultEngine,
  spec: ProcessKillFaultSpec,
  base: PreparedBase,
  options: PrepareOptions,
): Promise<PreparedFault<undefined>> {
  await assertOwnPidns(engine, base.target);
  const { helperId, offset } = await armSidecar(
    engine,
    base.target,
    options,
    (runner) => listInPidns(runner, processKillPlan(spec).process, base.target.containerName),
    [],
    'pidns',
  );
  return { ...base, strategy: 'sidecar', helperContainerId: helperId, clockOffset: offset };
}

async function assertOwnPidns(engine: FaultEngine, target: ResolvedTarget): Promise<void> {
  const refusal = pidNamespaceRefusal(await inspectOrNull(engine.docker, target.containerId), target.containerName);
  if (refusal) throw new ProcessKillRefusedError(target.containerName, refusal);
}

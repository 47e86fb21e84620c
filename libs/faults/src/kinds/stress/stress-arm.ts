import type Docker from 'dockerode';
import {
  stressPlan,
  StressPlanError,
  type ArmedStressPlan,
  type PreparedFault,
  type PrepareOptions,
  type StressFaultSpec,
  type StressPlan,
} from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { parseKeyValues } from '../../engine/helper-protocol';
import { armSidecar } from '../../engine/sidecar-arming';
import type { StepRunner } from '../../engine/step-runner';
import type { PreparedBase } from '../fault-kind';
import type { StressArmed } from './stress-part';

export class StressRefusedError extends Error {
  constructor(
    readonly containerName: string,
    readonly detail: string,
  ) {
    super(`stress refused on ${containerName}: ${detail}; nothing was armed`);
    this.name = 'StressRefusedError';
  }
}

/** The plan for a target as inspected: refused (naming why) when it is not running or its limit forbids it. */
export function planForTarget(
  spec: StressFaultSpec,
  info: Docker.ContainerInspectInfo | null,
  name: string,
): StressPlan {
  if (!info?.State?.Running) throw new StressRefusedError(name, `${name} is not running`);
  try {
    return stressPlan(spec, info.HostConfig?.Memory ?? 0);
  } catch (err) {
    if (err instanceof StressPlanError) throw new StressRefusedError(name, err.message);
    throw err;
  }
}

/**
 * The probe through the helper: `gameday-helper stressprobe ID` finds the target's own cgroup in
 * the engine's cgroup filesystem (exactly one, by the container's ID) and has a child join it and
 * report where it landed. A target without a cgroup of its own is refused.
 */
export async function probeTargetCgroup(
  runner: StepRunner,
  containerId: string,
  containerName: string,
): Promise<Pick<ArmedStressPlan, 'cgroupPath' | 'cgroupVersion'>> {
  const r = await runner.run(['gameday-helper', 'stressprobe', containerId]);
  if (r.exitCode !== 0)
    throw new StressRefusedError(
      containerName,
      `the helper cannot run processes in the target's cgroup (${r.stderr.trim().replace(/^gameday-helper: /, '')})`,
    );
  const kv = parseKeyValues(r.stdout);
  const version = Number(kv.cgroup_version);
  if ((version !== 1 && version !== 2) || !/^\/[A-Za-z0-9/_.:@-]+$/.test(kv.cgroup_path ?? ''))
    throw new StressRefusedError(containerName, `the helper's probe said: ${r.stdout.trim().split('\n').join('; ')}`);
  return { cgroupPath: kv.cgroup_path, cgroupVersion: version };
}

/**
 * Arms a stress ahead of T0: the target must be running (and, for a share of its memory limit,
 * have one); starts the stress helper (no capability, no network, its own PID namespace, the
 * engine's cgroup filesystem), finds the target's cgroup through it and measures its clock.
 * Nothing runs in the target's cgroup until T0.
 */
export async function armStress(
  engine: FaultEngine,
  spec: StressFaultSpec,
  base: PreparedBase,
  options: PrepareOptions,
): Promise<PreparedFault<StressArmed>> {
  const { containerId, containerName } = base.target;
  const plan = planForTarget(spec, await inspectOrNull(engine.docker, containerId), containerName);
  const { helperId, offset, probed } = await armSidecar(
    engine,
    base.target,
    options,
    (runner) => probeTargetCgroup(runner, containerId, containerName),
    [],
    'cgroup',
  );
  return {
    ...base,
    strategy: 'sidecar',
    helperContainerId: helperId,
    clockOffset: offset,
    armed: { ...plan, ...probed },
  };
}

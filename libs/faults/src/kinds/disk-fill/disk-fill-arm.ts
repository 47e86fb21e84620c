import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import {
  DiskFillPlanError,
  planDiskFill,
  type DiskFillFaultSpec,
  type DiskFillPlan,
  type FillProbe,
  type PreparedFault,
  type PrepareOptions,
} from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { parseKeyValues } from '../../engine/helper-protocol';
import { armSidecar } from '../../engine/sidecar-arming';
import type { StepRunner } from '../../engine/step-runner';
import type { PreparedBase } from '../fault-kind';
import type { DiskFillArmed } from './disk-fill-part';

export class DiskFillRefusedError extends Error {
  constructor(
    readonly containerName: string,
    readonly detail: string,
    /** the fault's field the refusal is about (size.mb, size.percent, path), when it is one */
    readonly field?: string,
  ) {
    super(`disk fill refused on ${containerName}: ${field ? `fault.${field}: ` : ''}${detail}; nothing was armed`);
    this.name = 'DiskFillRefusedError';
  }
}

/**
 * Why the target's PID namespace does not lead to its own filesystem, or null. The helper reaches
 * it as /proc/1/root of the namespace it joins: in the host's (`--pid host`) that is the host's
 * root, in another container's that container's. Either would put the fill in the wrong place.
 */
export function fillNamespaceRefusal(info: Docker.ContainerInspectInfo | null, name: string): string | null {
  if (!info?.State?.Running) return `${name} is not running`;
  const mode = info.HostConfig?.PidMode ?? '';
  if (mode === 'host')
    return `${name} shares the host's PID namespace (pid: host): /proc/1/root there is the host's filesystem, so a disk fill is refused`;
  if (mode.startsWith('container:'))
    return `${name} shares the PID namespace of container ${mode.slice('container:'.length, 'container:'.length + 12)}: /proc/1/root there is that container's filesystem, so a disk fill is refused`;
  return null;
}

/**
 * The target's init is not root's: a helper as root cannot open its root (ptrace's rule: same
 * user, or CAP_SYS_PTRACE, which no helper is given), so one is started as that UID:GID instead.
 */
export class FillRunAsError extends Error {
  constructor(readonly user: string) {
    super(`the target's init runs as ${user}: the helper must too`);
    this.name = 'FillRunAsError';
  }
}

const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : NaN);

/**
 * The probe through the helper: `gameday-fill probe PATH` opens PATH in the target's view (no
 * symlink followed) and reports its filesystem. PID 1 there must be in another cgroup than the
 * helper (the target's init), the path a writable directory.
 */
export async function probeFillPath(runner: StepRunner, path: string, containerName: string): Promise<FillProbe> {
  const r = await runner.run(['gameday-fill', 'probe', path]);
  const kv = parseKeyValues(r.stdout);
  if (kv.self_uid === '0' && /^\d+$/.test(kv.pid1_uid ?? '') && kv.pid1_uid !== '0')
    throw new FillRunAsError(`${kv.pid1_uid}:${/^\d+$/.test(kv.pid1_gid ?? '') ? kv.pid1_gid : kv.pid1_uid}`);
  if (r.exitCode === 0 && kv.pid1 === 'same')
    throw new DiskFillRefusedError(containerName, "the helper does not share the target's PID namespace");
  if (r.exitCode === 4)
    throw new DiskFillRefusedError(containerName, r.stderr.trim().replace(/^gameday-fill: /, ''), 'path');
  if (r.exitCode !== 0)
    throw new DiskFillRefusedError(
      containerName,
      `the helper cannot reach the target's filesystem (gameday-fill probe exit ${r.exitCode}: ${r.stderr.trim()}); a target whose init has more capabilities than Docker's default is not reachable without CAP_SYS_PTRACE, which the helper is not given`,
    );
  if (kv.readonly === '1')
    throw new DiskFillRefusedError(containerName, `${path} is on a read-only filesystem in the target`, 'path');
  const statfs = { frsize: num(kv.frsize), blocks: num(kv.blocks), bfree: num(kv.bfree), bavail: num(kv.bavail) };
  if (!Object.values(statfs).every(Number.isFinite) || !/^[01]$/.test(kv.own ?? ''))
    throw new DiskFillRefusedError(containerName, `the helper's probe said: ${r.stdout.trim().split('\n').join('; ')}`);
  return { statfs, own: kv.own === '1', ownWhy: kv.own_why ?? '', fsType: kv.fs_type ?? '' };
}

/** The plan from the probe, its refusals named by field. */
export function planForProbe(spec: DiskFillFaultSpec, probe: FillProbe, containerName: string): DiskFillPlan {
  try {
    return planDiskFill(spec, probe, randomBytes(4).toString('hex'));
  } catch (err) {
    if (err instanceof DiskFillPlanError) throw new DiskFillRefusedError(containerName, err.message, err.field);
    throw err;
  }
}

/**
 * Arms a disk fill ahead of T0: refuses a target whose PID namespace is not its own, starts the
 * helper in it (no network, no added capability), probes the path through it, plans the size
 * (refusing one that would break the floor of a filesystem shared with the engine) and measures
 * its clock. Creates nothing.
 */
export async function armDiskFill(
  engine: FaultEngine,
  spec: DiskFillFaultSpec,
  base: PreparedBase,
  options: PrepareOptions,
): Promise<PreparedFault<DiskFillArmed>> {
  const { containerId, containerName } = base.target;
  const refusal = fillNamespaceRefusal(await inspectOrNull(engine.docker, containerId), containerName);
  if (refusal) throw new DiskFillRefusedError(containerName, refusal);
  const arm = (user?: string) =>
    armSidecar(
      engine,
      base.target,
      options,
      async (runner) => planForProbe(spec, await probeFillPath(runner, spec.path, containerName), containerName),
      [],
      'fill',
      user,
    );
  // as root first (most targets); a target of another user gets a helper of that user instead
  const helper = await arm().catch((err: unknown) => {
    if (err instanceof FillRunAsError) return arm(err.user).then((a) => ({ ...a, user: err.user }));
    throw err;
  });
  const plan = 'user' in helper ? { ...helper.probed, runAs: helper.user } : helper.probed;
  return { ...base, strategy: 'sidecar', helperContainerId: helper.helperId, clockOffset: helper.offset, armed: plan };
}

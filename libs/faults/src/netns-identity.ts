import { readlink } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { FaultLease } from '@gameday/core';
import { inspectOrNull } from './docker-exec';

/** Where a container's network lives right now. */
export interface NetnsNow {
  /** its sandbox, or the owner's when it joined another container's netns (`--network container:X`) */
  sandboxKey: string;
  pid?: number;
}

/**
 * The container's current network namespace, keyed like TargetResolver keys it at arming; null when
 * the container (or the owner of its netns) is not running.
 */
export async function netnsNow(
  docker: Docker,
  containerId: string,
  inspected?: Docker.ContainerInspectInfo | null,
): Promise<NetnsNow | null> {
  const info = inspected !== undefined ? inspected : await inspectOrNull(docker, containerId);
  if (!info?.State?.Running) return null;
  const mode = info.HostConfig?.NetworkMode ?? 'default';
  let sandboxKey = info.NetworkSettings?.SandboxKey || `container:${info.Id}`;
  if (mode.startsWith('container:')) {
    const owner = await inspectOrNull(docker, mode.slice('container:'.length));
    if (!owner?.State?.Running) return null;
    sandboxKey = owner.NetworkSettings?.SandboxKey || `container:${owner.Id}`;
  }
  return { sandboxKey, pid: info.State.Pid || undefined };
}

/** The kernel's name for the netns a PID is in, e.g. "net:[4026532288]"; nsenter enters exactly that. */
export function netnsInodeOf(pid: number): Promise<string> {
  return readlink(`/proc/${pid}/ns/net`);
}

/**
 * Why the lease's target is no longer the network namespace that was armed, or null when it still
 * is. A restart gives the container a new sandbox; its old PID may by then belong to any process
 * (often one in the host's netns), so nsenter also compares the inode behind the current PID.
 */
export async function netnsChange(
  lease: Pick<FaultLease, 'netnsId' | 'strategy' | 'details'>,
  now: NetnsNow | null,
): Promise<string | null> {
  if (!now) return 'the target is not running: its network namespace is gone';
  if (lease.netnsId && now.sandboxKey !== lease.netnsId)
    return `the target restarted since arming (network sandbox ${lease.netnsId} is now ${now.sandboxKey})`;
  const armed = lease.details?.netnsInode;
  if (lease.strategy === 'nsenter' && armed) {
    const inode = now.pid ? await netnsInodeOf(now.pid).catch(() => null) : null;
    if (inode !== armed)
      return `the target's PID ${now.pid ?? '?'} leads to ${inode ?? 'no'} netns, not the armed ${armed}`;
  }
  return null;
}

import { open, type FileHandle } from 'node:fs/promises';
import type Docker from 'dockerode';
import { TargetGoneError, type FaultLease } from '@gameday/core';
import { inspectOrNull } from './docker-exec';

/** Where a container's network lives right now. */
export interface NetnsNow {
  /** its sandbox, or the owner's when it joined another container's netns (`--network container:X`) */
  sandboxKey: string;
  pid?: number;
}

/** What a lease (or a target being armed) says about the netns it acts in. */
export type ArmedNetns = Pick<FaultLease, 'containerId' | 'containerName' | 'netnsId' | 'details'>;

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

/**
 * Why the lease's target is no longer the network namespace that was armed, or null when it still
 * is: a restart gives the container a new sandbox.
 */
export function netnsChange(lease: Pick<FaultLease, 'netnsId'>, now: NetnsNow | null): string | null {
  if (!now) return 'the target is not running: its network namespace is gone';
  if (lease.netnsId && now.sandboxKey !== lease.netnsId)
    return `the target restarted since arming (network sandbox ${lease.netnsId} is now ${now.sandboxKey})`;
  return null;
}

/** A network namespace held open by the worker: nsenter enters it through this descriptor. */
export interface PinnedNetns {
  fd: number;
  /** the PID it was opened through (for messages: it is never looked up again) */
  pid: number;
  /** the kernel's name for it, e.g. "net:[4026532288]" */
  inode: string;
  close(): Promise<void>;
}

/**
 * Opens the target's network namespace and proves it is the one armed. A PID is only a number:
 * after a restart it may belong to any process (in another container's netns, or the host's), and
 * `nsenter -t PID` looks it up again each time. So the namespace is opened once, through the PID,
 * with the container inspected on both sides of the open (same PID, same sandbox: a restart in
 * between changes both, so the PID was the target's when it was opened) and, once armed, its inode
 * compared; from then on every step enters that open namespace, whatever the PID does next.
 * Throws TargetGoneError when any of it does not hold.
 */
export async function pinArmedNetns(
  docker: Docker,
  armed: ArmedNetns,
  inspected?: Docker.ContainerInspectInfo | null,
): Promise<PinnedNetns> {
  const gone = (detail: string) => new TargetGoneError(armed.containerName, detail);
  const before = await netnsNow(docker, armed.containerId, inspected);
  const change = netnsChange(armed, before);
  if (change) throw gone(change);
  const pid = before!.pid;
  if (!pid) throw gone('the target reports no PID');
  let handle: FileHandle;
  try {
    handle = await open(`/proc/${pid}/ns/net`, 'r');
  } catch (err) {
    throw gone(`its PID ${pid} cannot be entered (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const inode = `net:[${(await handle.stat({ bigint: true })).ino}]`;
    const after = await netnsNow(docker, armed.containerId);
    if (after?.pid !== pid || after.sandboxKey !== before!.sandboxKey)
      throw gone(`the target restarted while its network namespace was being opened (PID ${pid})`);
    const expected = armed.details?.netnsInode;
    if (expected && inode !== expected)
      throw gone(`the target's PID ${pid} leads to ${inode}, not the armed ${expected}`);
    return { fd: handle.fd, pid, inode, close: () => handle.close() };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

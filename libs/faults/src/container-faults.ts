import type Docker from 'dockerode';
import type { ContainerFaultSpec, FaultLease, RevertResult, VerifyOutcome } from '@gameday/core';
import { inspectOrNull, isNotModified } from './docker-exec';

/**
 * Container faults (pause, stop, kill, restart) through the Docker API, their inverse, and the
 * check that one is in place. Idempotent reverts: "already gone" is success.
 */
export class ContainerFaults {
  constructor(
    private readonly docker: Docker,
    private readonly now: () => Date,
  ) {}

  async apply(spec: ContainerFaultSpec, id: string): Promise<Date> {
    const c = this.docker.getContainer(id);
    switch (spec.action) {
      case 'pause':
        await c.pause();
        break;
      case 'stop':
        await c.stop({ t: 10 });
        break;
      case 'kill':
        await c.kill({ signal: spec.signal ?? 'SIGKILL' });
        break;
      case 'restart':
        await c.restart({ t: 10 });
        break;
    }
    return this.now();
  }

  async verify(lease: FaultLease): Promise<VerifyOutcome> {
    const info = await inspectOrNull(this.docker, lease.containerId);
    const action = lease.details?.action;
    if (!info) return { ok: false, reasons: [`container ${lease.containerName} is gone`] };
    if (action === 'pause')
      return info.State.Paused ? { ok: true } : { ok: false, reasons: [`${lease.containerName} is not paused`] };
    if (action === 'stop' || action === 'kill')
      return !info.State.Running ? { ok: true } : { ok: false, reasons: [`${lease.containerName} is running again`] };
    return { ok: true };
  }

  async revert(lease: FaultLease): Promise<RevertResult> {
    const info = await inspectOrNull(this.docker, lease.containerId);
    if (!info) return { outcome: 'already_gone', at: this.now(), details: ['container removed'] };
    const c = this.docker.getContainer(lease.containerId);
    if (lease.details?.action === 'pause') {
      if (!info.State.Paused) return { outcome: 'already_gone', at: this.now() };
      await c.unpause();
      return { outcome: 'reverted', at: this.now() };
    }
    if (info.State.Paused) await c.unpause();
    if (info.State.Running) return { outcome: 'already_gone', at: this.now() };
    try {
      await c.start();
    } catch (err) {
      if (!isNotModified(err)) throw err;
      return { outcome: 'already_gone', at: this.now() };
    }
    return { outcome: 'reverted', at: this.now() };
  }
}

/** The Docker API call for a container fault and its inverse, written as the equivalent CLI argv. */
export function containerSteps(spec: ContainerFaultSpec, id: string): { apply: string[]; revert: string[] } {
  switch (spec.action) {
    case 'pause':
      return { apply: ['docker', 'pause', id], revert: ['docker', 'unpause', id] };
    case 'stop':
      return { apply: ['docker', 'stop', id], revert: ['docker', 'start', id] };
    case 'kill':
      return { apply: ['docker', 'kill', '--signal', spec.signal ?? 'SIGKILL', id], revert: ['docker', 'start', id] };
    case 'restart':
      return { apply: ['docker', 'restart', id], revert: ['docker', 'start', id] };
  }
}

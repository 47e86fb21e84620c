import type { ContainerFaultSpec, FaultLease, VerifyOutcome } from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import type { FaultKind } from '../fault-kind';
import { armContainer, assertWatchdogArmed, WatchdogLostError } from './container-arm';
import { containerPart, type ContainerArmed, type ContainerLeasePart } from './container-part';
import { revertContainer } from './container-revert';

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

/**
 * Container faults (pause, stop, kill, restart) through the Docker API, their inverse, and the
 * check that one is in place. Idempotent reverts: "already gone" is success. The worker keeps their
 * clock; a watchdog armed with each pause, stop and kill (container-arm.ts) undoes it at the
 * planned end by the engine's clock if nobody else did.
 */
export const containerKind: FaultKind<ContainerFaultSpec, ContainerArmed, ContainerLeasePart> = {
  name: 'container',
  dedupeNetns: false,
  // a pause, stop or kill has its watchdog (armed with it), which undoes it at the planned end
  capabilities: () => ({ clock: 'worker', verifiable: false, reverify: false, guardedAtEnd: true }),

  dryRunTarget(_engine, spec, target) {
    const c = containerSteps(spec, target.containerId);
    return {
      target,
      strategy: 'docker',
      runner: ['docker'],
      apply: [c.apply],
      verify: [['docker', 'inspect', target.containerId]],
      revert: [c.revert],
      warnings: [],
    };
  },

  prepare: (engine, spec, base, options) => armContainer(engine, spec, base, options),

  draftLease(prepared) {
    const c = containerSteps(prepared.spec, prepared.target.containerId);
    return {
      kind: 'container',
      applyArgv: [c.apply],
      revertArgv: [c.revert],
      verifyArgv: null,
      details: {
        kindPart: {
          action: prepared.spec.action,
          signal: prepared.spec.signal,
          ...(prepared.armed ? { watchdog: prepared.armed.watchdog } : {}),
        },
        ...(prepared.armed ? { clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0 } : {}),
      },
    };
  },

  async apply(engine, prepared, lease) {
    await assertWatchdogArmed(engine, prepared, lease);
    const c = engine.docker.getContainer(prepared.target.containerId);
    switch (prepared.spec.action) {
      case 'pause':
        await c.pause();
        break;
      // no `t`: the container's own stop timeout (StopTimeout, 10 s unless set), as `docker stop`
      case 'stop':
        await c.stop();
        break;
      case 'kill':
        await c.kill({ signal: prepared.spec.signal ?? 'SIGKILL' });
        break;
      case 'restart':
        await c.restart();
        break;
    }
    return engine.now();
  },

  // the engine refused the action (an HTTP status): nothing was done to the container
  nothingApplied: (err) =>
    err instanceof WatchdogLostError || typeof (err as { statusCode?: unknown }).statusCode === 'number',

  verify: (engine, lease) => verifyContainer(engine, lease),
  revert: (engine, lease) => revertContainer(engine, lease),
};

async function verifyContainer(engine: FaultEngine, lease: FaultLease): Promise<VerifyOutcome> {
  const info = await inspectOrNull(engine.docker, lease.containerId);
  const { action } = containerPart(lease);
  if (!info) return { ok: false, reasons: [`container ${lease.containerName} is gone`] };
  if (action === 'pause')
    return info.State.Paused ? { ok: true } : { ok: false, reasons: [`${lease.containerName} is not paused`] };
  if (action === 'stop' || action === 'kill')
    return !info.State.Running ? { ok: true } : { ok: false, reasons: [`${lease.containerName} is running again`] };
  return { ok: true };
}

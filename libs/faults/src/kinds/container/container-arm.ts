import type { ContainerFaultSpec, FaultLease, PreparedFault, PrepareOptions } from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import type { WatchdogAction } from '../../engine/watchdog-protocol';
import type { PreparedBase } from '../fault-kind';
import type { ContainerArmed } from './container-part';

/**
 * What a watchdog undoes for each action. A restart leaves the container running (the engine
 * does it in one call): there is nothing for a watchdog to undo.
 */
export function watchdogActionOf(action: ContainerFaultSpec['action']): WatchdogAction | null {
  if (action === 'pause') return 'pause';
  if (action === 'stop' || action === 'kill') return 'stop';
  return null;
}

/**
 * Arms a container fault: its watchdog, before anything is applied, so that a paused or stopped
 * target comes back at the planned end (`expiresAt`) even when every worker and Postgres are gone.
 * The watchdog refuses (and arming fails, leaving nothing) unless the target is running.
 */
export async function armContainer(
  engine: FaultEngine,
  spec: ContainerFaultSpec,
  base: PreparedBase,
  options: PrepareOptions,
): Promise<PreparedFault<ContainerArmed>> {
  const action = watchdogActionOf(spec.action);
  // a planned end already past (a backstop test, a late re-arm): the worker reverts it at once
  if (!action || base.expiresAt.getTime() <= engine.now().getTime()) return { ...base, strategy: 'docker' };
  const started = engine.clock.monotonicMs();
  const armingId = base.abortNonce ?? 'unnamed';
  const watchdog = await engine.watchdogs.arm(base.target, {
    action,
    armingId,
    deadlineAt: base.expiresAt,
    maxClockOffsetMs: options.maxClockOffsetMs,
  });
  engine.emit({ type: 'probe', result: 'ok', durationMs: engine.since(started), target: base.target.containerName });
  return {
    ...base,
    strategy: 'docker',
    helperContainerId: watchdog.id,
    clockOffset: watchdog.offset,
    armed: {
      watchdog: {
        armingId,
        deadlineAt: base.expiresAt.toISOString(),
        engineDeadlineMs: watchdog.engineDeadlineMs,
        startedAt: watchdog.startedAt,
      },
    },
  };
}

/** The fault's watchdog is no longer armed: the fault is not applied (nothing was done to the target). */
export class WatchdogLostError extends Error {
  constructor(containerName: string) {
    super(
      `the watchdog armed for the fault on ${containerName} is no longer waiting (a fault armed later on the same container told it to stand down, or it was removed): nothing was applied`,
    );
    this.name = 'WatchdogLostError';
  }
}

/**
 * Before a pause, stop or kill goes in: its watchdog must still be armed. A fault armed later on the
 * same container (in the window between this arming and T0) stands earlier watchdogs down; applying
 * then would leave the fault without its guard. One inspect on the way to T0.
 */
export async function assertWatchdogArmed(
  engine: FaultEngine,
  prepared: PreparedFault<ContainerArmed>,
  lease: FaultLease,
) {
  if (!prepared.armed?.watchdog) return;
  const info = await engine.helperOf(lease);
  if (!info?.State?.Running) throw new WatchdogLostError(prepared.target.containerName);
}

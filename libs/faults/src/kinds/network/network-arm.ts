import { compileNetworkFault, type NetworkFaultSpec, type PreparedFault, type PrepareOptions } from '@gameday/core';
import { probeKernel } from '../../engine/capability-probe';
import type { FaultEngine } from '../../engine/fault-engine';
import { armSidecar } from '../../engine/sidecar-arming';
import type { PreparedBase } from '../fault-kind';
import type { NetworkArmed } from './network-part';

/**
 * Arms a network fault ahead of T0: compiles it, probes the kernel features it needs in the
 * target's netns, and starts its helper (the sidecar that will keep its clock, or the watchdog of
 * an exec/nsenter fault). Applies nothing.
 */
export async function armNetwork(
  engine: FaultEngine,
  spec: NetworkFaultSpec,
  base: PreparedBase,
  options: PrepareOptions,
): Promise<PreparedFault<NetworkArmed>> {
  const { target } = base;
  const compiled = compileNetworkFault(spec, engine.options.compile);
  const needs = { prio: compiled.apply.some((a) => a.includes('prio')), ingress: compiled.direction === 'ingress' };
  if (spec.strategy === 'sidecar') {
    const { helperId, offset } = await armSidecar(engine, target, options, (runner) =>
      probeKernel(runner, needs, engine.id),
    );
    return { ...base, strategy: 'sidecar', armed: compiled, helperContainerId: helperId, clockOffset: offset };
  }
  const started = engine.clock.monotonicMs();
  // in the netns resolved (never by the PID seen then: it may be another process's by now); nsenter
  // records the one it probed, and apply and revert later enter only that one
  const netnsInode = await engine.inArmedNetns(spec.strategy, target, async (runner, pinned) => {
    await probeKernel(runner, needs, engine.id);
    return pinned?.inode;
  });
  engine.emit({ type: 'probe', result: 'ok', durationMs: engine.since(started), target: target.containerName });
  const armedTarget = netnsInode ? { ...target, netnsInode } : target;
  // exec and nsenter apply from the worker, so without help their fault would depend on the
  // worker, Redis and Postgres to be removed. A helper in the target's netns guards it like the
  // sidecar's: it undoes the steps at expiry + grace, when stopped, or after a restart, with nobody
  // else involved. Armed before anything is applied, so the fault is never unguarded.
  const watchdog = await engine.armWatchdog(
    armedTarget,
    compiled.apply,
    compiled.undo,
    base.expiresAt.getTime() + base.graceMs,
    base.abortNonce,
  );
  return { ...base, target: armedTarget, strategy: spec.strategy, armed: compiled, helperContainerId: watchdog };
}

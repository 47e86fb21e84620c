import {
  clockOffset,
  ClockOffsetError,
  clockOffsetTooLarge,
  compileNetworkFault,
  type ClockOffset,
  type NetworkFaultSpec,
  type PreparedFault,
  type PrepareOptions,
} from '@gameday/core';
import { probeKernel } from '../../engine/capability-probe';
import type { FaultEngine } from '../../engine/fault-engine';
import { HelperRunner } from '../../engine/step-runner';
import type { PreparedBase } from '../fault-kind';

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
): Promise<PreparedFault> {
  const { target } = base;
  const compiled = compileNetworkFault(spec, engine.options.compile);
  const needs = { prio: compiled.apply.some((a) => a.includes('prio')), ingress: compiled.direction === 'ingress' };
  const started = Date.now();
  if (spec.strategy === 'sidecar') {
    const helperId = await engine.createHelper(target);
    let offset: ClockOffset;
    try {
      await probeKernel(new HelperRunner(engine.docker, helperId), needs, engine.id);
      // the readiness check's read: on a slow engine every exec costs up to seconds of arming
      const first = await engine.helpers.readClock(helperId, 1);
      offset = clockOffset(first);
      // a slow read (busy engine) is retried once before anything is judged from it; where every
      // exec is slow, more reads would not narrow it and only make arming longer
      if (offset.uncertaintyMs > 100)
        offset = clockOffset([...first, ...(await engine.helpers.readClock(helperId, 1))]);
      if (options.maxClockOffsetMs !== undefined && clockOffsetTooLarge(offset, options.maxClockOffsetMs))
        throw new ClockOffsetError(engine.id, offset, options.maxClockOffsetMs);
    } catch (err) {
      await engine.helpers.remove(helperId);
      engine.emit({
        type: 'probe',
        result: 'error',
        reason: (err as Error).name,
        durationMs: Date.now() - started,
        target: target.containerName,
      });
      throw err;
    }
    engine.emit({ type: 'probe', result: 'ok', durationMs: Date.now() - started, target: target.containerName });
    return { ...base, strategy: 'sidecar', compiled, helperContainerId: helperId, clockOffset: offset };
  }
  // in the netns resolved (never by the PID seen then: it may be another process's by now); nsenter
  // records the one it probed, and apply and revert later enter only that one
  const netnsInode = await engine.inArmedNetns(spec.strategy, target, async (runner, pinned) => {
    await probeKernel(runner, needs, engine.id);
    return pinned?.inode;
  });
  engine.emit({ type: 'probe', result: 'ok', durationMs: Date.now() - started, target: target.containerName });
  const armed = netnsInode ? { ...target, netnsInode } : target;
  // exec and nsenter apply from the worker, so without help their fault would depend on the
  // worker, Redis and Postgres to be removed. A helper in the target's netns guards it like the
  // sidecar's: it undoes the steps at expiry + grace, when stopped, or after a restart, with nobody
  // else involved. Armed before anything is applied, so the fault is never unguarded.
  const watchdog = await engine.armWatchdog(
    armed,
    compiled.apply,
    compiled.undo,
    base.expiresAt.getTime() + base.graceMs,
  );
  return { ...base, target: armed, strategy: spec.strategy, compiled, helperContainerId: watchdog };
}

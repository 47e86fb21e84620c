import {
  clockOffset,
  ClockOffsetError,
  clockOffsetTooLarge,
  type ClockOffset,
  type PrepareOptions,
  type ResolvedTarget,
} from '@gameday/core';
import type { FaultEngine } from './fault-engine';
import type { HelperCap, HelperJoins } from './helper-client';
import { HelperRunner } from './step-runner';

/**
 * Starts the sidecar helper that will keep a fault's clock in the target's netns (or its PID
 * namespace, for a kind that signals processes), runs the kind's
 * kernel probe through it and measures its clock against ours. On any failure the helper is
 * removed again and nothing is left; the probe's outcome is emitted as an event either way.
 */
export async function armSidecar<T>(
  engine: FaultEngine,
  target: ResolvedTarget,
  options: PrepareOptions,
  probe: (runner: HelperRunner) => Promise<T>,
  extraCaps: HelperCap[] = [],
  joins?: HelperJoins,
  /** a disk fill's helper runs as the target init's UID:GID when that is not root */
  user?: string,
): Promise<{ helperId: string; offset: ClockOffset; probed: T }> {
  const started = engine.clock.monotonicMs();
  const helperId = await engine.createHelper(target, extraCaps, joins, user);
  let offset: ClockOffset;
  let probed: T;
  try {
    probed = await probe(new HelperRunner(engine.docker, helperId));
    // the readiness check's read: on a slow engine every exec costs up to seconds of arming
    const first = await engine.helpers.readClock(helperId, 1);
    offset = clockOffset(first);
    // a slow read (busy engine) is retried once before anything is judged from it; where every
    // exec is slow, more reads would not narrow it and only make arming longer
    if (offset.uncertaintyMs > 100) offset = clockOffset([...first, ...(await engine.helpers.readClock(helperId, 1))]);
    if (options.maxClockOffsetMs !== undefined && clockOffsetTooLarge(offset, options.maxClockOffsetMs))
      throw new ClockOffsetError(engine.id, offset, options.maxClockOffsetMs);
  } catch (err) {
    await engine.helpers.remove(helperId);
    engine.emit({
      type: 'probe',
      result: 'error',
      reason: (err as Error).name,
      durationMs: engine.since(started),
      target: target.containerName,
    });
    throw err;
  }
  engine.emit({ type: 'probe', result: 'ok', durationMs: engine.since(started), target: target.containerName });
  return { helperId, offset, probed };
}

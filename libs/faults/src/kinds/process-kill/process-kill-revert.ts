import type { AbortPath, FaultLease, RevertResult } from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import { abortThroughSignal, abortThroughStdin, helperRevert, isUrgent } from '../../engine/helper-revert';

const STILL_ON: ReadonlySet<string> = new Set(['armed', 'applying', 'applied']);

/**
 * Ends a process kill: a signal sent cannot be taken back, so what a revert removes is the plan,
 * that is the repetition still to come (or the kill at T0 not made yet). Through the helper that
 * holds it: for aborts the stdin line this process holds, else USR2 through the Docker API, then
 * `gameday-helper revert`, which stops gameday-kill and confirms. No helper running: nothing is
 * left that could signal (its processes die with its container), so it is already gone; the
 * helper container itself is removed by release, as for every kind.
 */
export async function revertProcessKill(engine: FaultEngine, lease: FaultLease, reason: string): Promise<RevertResult> {
  const helper = await engine.helperOf(lease);
  if (!helper?.State?.Running)
    return {
      outcome: 'already_gone',
      at: engine.now(),
      details: [`no helper of ${lease.containerName} is running: nothing signals any more`],
    };
  // an abort is told first: the stdin line this process holds, else USR2 through the Docker API
  let abortPath: AbortPath | undefined;
  if (isUrgent(reason))
    abortPath = abortThroughStdin(engine, lease, reason)
      ? 'stdin'
      : (await abortThroughSignal(engine, helper.Id))
        ? 'signal'
        : undefined;
  const { kv, at } = await helperRevert(engine, lease, helper.Id, reason);
  if (STILL_ON.has(kv.state))
    throw new Error(`the helper of ${lease.containerName} is still ${kv.state} after its revert`);
  // the helper names the way it was told: `signal` (USR2) or `stdin` (the abort line)
  const byUs = !!abortPath && kv.was === 'reverted' && kv.revert_reason === abortPath;
  return {
    outcome: byUs || kv.was === 'applied' ? 'reverted' : 'already_gone',
    at,
    details: [],
    ...(abortPath ? { abortPath } : {}),
  };
}

import { FaultStepError, NO_HEARTBEAT, type AbortPath, type FaultLease, type RevertResult } from '@gameday/core';
import type { FaultEngine } from './fault-engine';
import { isAbortNonce, parseKeyValues } from './helper-protocol';
import { HelperRunner } from './step-runner';

/** Reasons that end a fault before its time: the helper is told first (stdin or signal), then an exec confirms. */
const URGENT_REASONS: ReadonlySet<string> = new Set(['abort', 'guardrail']);

export const isUrgent = (reason: string): boolean => URGENT_REASONS.has(reason);

/**
 * The fast path of an abort: the line `abort <nonce>` on the stdin this process holds for the
 * lease's helper (held only for helpers it started; the nonce is the lease's plan's). No Docker
 * API request before it, not even an inspect: the helper was labelled and checked when this
 * process created it, and the helper acts only on its current plan's nonce.
 */
export function abortThroughStdin(engine: FaultEngine, lease: FaultLease, reason: string): boolean {
  const nonce = lease.details?.abortNonce;
  if (!lease.helperContainerId || !isAbortNonce(nonce)) return false;
  return engine.helpers.abortViaStdin(lease.helperContainerId, nonce, reason);
}

/** The other way in: a signal through the Docker API (USR2), as `docker kill --signal USR2` does. */
export function abortThroughSignal(engine: FaultEngine, helperId: string): Promise<boolean> {
  return engine.docker
    .getContainer(helperId)
    .kill({ signal: 'SIGUSR2' })
    .then(
      () => true,
      () => false,
    );
}

/**
 * `gameday-helper revert REASON` in the helper that holds the lease's record: its key=value
 * answer, and when the fault left — the helper's instant (in our clock) when it had reverted
 * already (its clock, or the abort just now), else now.
 */
export async function helperRevert(
  engine: FaultEngine,
  lease: FaultLease,
  helperId: string,
  reason: string,
): Promise<{ runner: HelperRunner; kv: Record<string, string>; at: Date; unbegun: { notBegun?: true } }> {
  const runner = new HelperRunner(engine.docker, helperId);
  const r = await runner.run([
    'gameday-helper',
    'revert',
    reason.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 40) || 'manual',
  ]);
  if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'revert'], r.exitCode, r.stderr, false);
  const kv = parseKeyValues(r.stdout);
  const at =
    kv.was === 'reverted' && /^[1-9]\d*$/.test(kv.reverted_at ?? '')
      ? new Date(Number(kv.reverted_at) - (lease.details?.clockCorrectionMs ?? 0))
      : engine.now();
  // a plan the helper cancelled for want of the worker's heartbeat was never applied: the ledger says so
  const unbegun = kv.was === 'cancelled' && kv.revert_reason === NO_HEARTBEAT ? { notBegun: true as const } : {};
  return { runner, kv, at, unbegun };
}

const STILL_ON: ReadonlySet<string> = new Set(['armed', 'applying', 'applied']);

/**
 * An exec the runtime could not start in the helper (exit 126): a helper in its target's PID
 * namespace whose namespace went with a restart of the target, before the engine noticed it dead.
 */
export const cannotEnter = (error: unknown): boolean => error instanceof FaultStepError && error.exitCode === 126;

/** Running as the engine sees it, and not between two starts of its restart policy. */
export function helperUp<T extends { State?: { Running?: boolean; Restarting?: boolean } }>(
  helper: T | null | undefined,
): helper is T {
  return !!helper?.State?.Running && !helper.State.Restarting;
}

/**
 * Ends what a sidecar helper's plan still holds, for kinds whose helper runs the fault itself (a
 * process kill's repetition, a stress, a reset not made yet): for aborts the stdin line this
 * process holds, else USR2 through the Docker API, then `gameday-helper revert`, which stops the
 * plan and confirms. No helper running: what it ran died with its container, so it is already
 * gone (`gone` says what); the helper container itself is removed by release, as for every kind.
 * `details` adds what the fault did to the target (an outcome, not a failure).
 */
export async function revertHelperPlan(
  engine: FaultEngine,
  lease: FaultLease,
  reason: string,
  gone: string,
  details: (helperId: string) => Promise<string[]> = async () => [],
): Promise<RevertResult> {
  const helper = await engine.helperOf(lease);
  const notRunning = (why: string): RevertResult => ({
    outcome: 'already_gone',
    at: engine.now(),
    details: [`${why}: ${gone}`],
  });
  if (!helperUp(helper)) return notRunning(`no helper of ${lease.containerName} is running`);
  let abortPath: AbortPath | undefined;
  if (isUrgent(reason))
    abortPath = abortThroughStdin(engine, lease, reason)
      ? 'stdin'
      : (await abortThroughSignal(engine, helper.Id))
        ? 'signal'
        : undefined;
  let answer: Awaited<ReturnType<typeof helperRevert>>;
  try {
    answer = await helperRevert(engine, lease, helper.Id, reason);
  } catch (error) {
    // what it ran died with that namespace; its restart policy brings it back into the new one,
    // where it undoes from its record
    if (cannotEnter(error))
      return notRunning(`the helper of ${lease.containerName} cannot be entered (its target restarted)`);
    throw error;
  }
  const { kv, at, unbegun } = answer;
  if (STILL_ON.has(kv.state))
    throw new Error(`the helper of ${lease.containerName} is still ${kv.state} after its revert`);
  // the helper names the way it was told: `signal` (USR2) or `stdin` (the abort line)
  const byUs = !!abortPath && kv.was === 'reverted' && kv.revert_reason === abortPath;
  return {
    outcome: byUs || kv.was === 'applied' ? 'reverted' : 'already_gone',
    at,
    details: await details(helper.Id),
    ...(abortPath ? { abortPath } : {}),
    ...unbegun,
  };
}

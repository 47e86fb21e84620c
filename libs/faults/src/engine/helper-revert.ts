import { FaultStepError, type FaultLease } from '@gameday/core';
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
): Promise<{ runner: HelperRunner; kv: Record<string, string>; at: Date }> {
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
  return { runner, kv, at };
}

import { FaultStepError, type PreparedFault, type ScheduleOptions } from '@gameday/core';
import type { FaultEngine } from './fault-engine';
import { msDate, parseKeyValues } from './helper-protocol';

/** The steps a kind compiled: what the helper applies, and each step's inverse. */
export interface HelperSteps {
  apply: string[][];
  undo: (string[] | null)[];
}

/**
 * Hands a prepared fault's steps to its sidecar helper with the instants to apply, revert and
 * expire; the helper keeps the clock from here on. Instants are shifted into the helper's clock.
 */
export async function handOverSchedule(
  engine: FaultEngine,
  prepared: PreparedFault,
  steps: HelperSteps,
  at: ScheduleOptions,
  expireAt: number,
): Promise<void> {
  const shift = prepared.clockOffset?.correctionMs ?? 0;
  const r = await engine.helpers.schedule(
    prepared.helperContainerId!,
    at.applyAt.getTime() + shift,
    at.revertAt.getTime() + shift,
    expireAt + shift,
    steps.apply,
    steps.undo,
    prepared.abortNonce,
    at.heartbeatMs,
  );
  if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'schedule'], r.exitCode, r.stderr, false);
}

/**
 * Has the sidecar helper apply the steps now (it still removes them by itself at the fault's
 * expiry); returns when they took effect, by the helper's record, in the worker's clock.
 */
export async function applyNowViaHelper(
  engine: FaultEngine,
  prepared: PreparedFault,
  steps: HelperSteps,
): Promise<Date> {
  const shift = prepared.clockOffset?.correctionMs ?? 0;
  const expireAt = prepared.expiresAt.getTime() + prepared.graceMs + shift;
  const r = await engine.helpers.applyNow(
    prepared.helperContainerId!,
    expireAt,
    steps.apply,
    steps.undo,
    prepared.abortNonce,
  );
  if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'apply'], r.exitCode, r.stderr, true);
  const applied = msDate(parseKeyValues(r.stdout).applied_at);
  return applied ? new Date(applied.getTime() - shift) : engine.now();
}

/**
 * Polls a sidecar helper given a plan to apply now until it has applied it; returns that instant
 * in the worker's clock (`shift`: helper minus worker). `command` is the helper word that took the
 * plan (named in a failure), `what` says what the helper did not do in time.
 */
export async function waitForHelperApplied(
  engine: FaultEngine,
  prepared: PreparedFault,
  shift: number,
  command: string,
  what: string,
): Promise<Date> {
  const deadline = engine.clock.monotonicMs() + 10_000;
  for (;;) {
    const status = await engine.helpers.status(prepared.helperContainerId!);
    if (status.state === 'applied' && status.appliedAt) return new Date(status.appliedAt.getTime() - shift);
    if (status.state !== 'armed' && status.state !== 'applying')
      throw new FaultStepError(
        ['gameday-helper', command],
        1,
        `the helper is ${status.state}${status.error ? `: ${status.error}` : ''}`,
        status.state === 'apply_failed' || status.state === 'reverted',
      );
    if (engine.clock.monotonicMs() > deadline) throw new Error(`the helper ${what} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

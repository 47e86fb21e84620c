import {
  leaseLedgerRefusal,
  type AbortPath,
  type FaultDriver,
  type FaultLease,
  type LeaseRepository,
} from '@gameday/core';
import type { GameDayMetrics } from '@gameday/metrics';
import { LeaseLedger, revertReason } from './lease-ledger';
import type { UnrecordedReverts } from './unrecorded-reverts';

/**
 * The backstops (the delayed revert job, the reaper) act this long after a lease's planned end
 * when a helper guards it (or a container fault's watchdog): at the end itself that guard is
 * reverting by its own clock, and every extra `docker exec` then competes with it, and with the
 * system under test, for the engine's CPU. A lease nothing live guards is reaped at once.
 */
export const BACKSTOP_DELAY_MS = 2_000;

/**
 * How long the executor holds a lease while it confirms the planned revert (the helper's record,
 * then its own check that nothing of ours is left). Without the hold the revert job and the reaper,
 * due 2 s after the end, repeat the same `docker exec`s at the same moment: on a one-CPU engine that
 * stalled the system under test for ~20 s of its recovery window. A claim that lapses (the executor
 * died mid-confirmation) lets them act.
 */
export const REVERT_CLAIM_MS = 15_000;

/** Whether the executor still holds the lease for its revert confirmation. */
export function revertClaimed(lease: FaultLease, now: Date): boolean {
  return (lease.revertClaimedUntil?.getTime() ?? 0) > now.getTime();
}

/**
 * A lease whose row holds a command GameDay never writes (changed in Postgres) is not reverted from
 * it: the refusal is recorded once (its lastError), and from then on the backstops leave the lease
 * to a human instead of refusing it again every second. The helper in the target's netns still
 * removes the fault at expiry + grace by its own clock; a row put right is reverted as usual.
 */
export function heldForHuman(lease: FaultLease): boolean {
  const refusal = leaseLedgerRefusal(lease);
  return refusal !== null && lease.lastError === refusal.message;
}

/**
 * Open leases this worker can revert: only those of its own Docker Engine. A worker attached to
 * another engine would not find the container, take the fault for "already gone" and close a
 * lease whose fault is still in place.
 */
export async function openLeases(
  leases: LeaseRepository,
  driver: FaultDriver,
  filter: (l: FaultLease) => boolean = () => true,
): Promise<FaultLease[]> {
  return (await leases.listActive()).filter((l) => l.engine === driver.engine && filter(l));
}

export async function expiredLeases(leases: LeaseRepository, driver: FaultDriver, now: Date): Promise<FaultLease[]> {
  const ours = (await leases.listExpiredUnreverted(now)).filter(
    (l) => l.engine === driver.engine && !revertClaimed(l, now) && !heldForHuman(l),
  );
  const helperWindow = now.getTime() - BACKSTOP_DELAY_MS;
  const due = await Promise.all(
    ours.map(async (l) => {
      if (l.expiresAt.getTime() <= helperWindow) return true;
      return !(await driver.hasLiveHelper?.(l).catch(() => false));
    }),
  );
  return ours.filter((_, i) => due[i]);
}

/**
 * Open leases of runs whose emergency stop is recorded in Postgres: honoured from there, so an
 * abort lands even when its queued job never arrived (Redis down when it was requested).
 */
export async function abortedLeases(
  leases: LeaseRepository,
  driver: FaultDriver,
  abortRequestedAmong: (runIds: string[]) => Promise<string[]>,
): Promise<FaultLease[]> {
  const open = await openLeases(leases, driver, (l) => l.runId !== null && l.runId !== undefined && !heldForHuman(l));
  const aborted = new Set(await abortRequestedAmong([...new Set(open.map((l) => l.runId!))]));
  return open.filter((l) => aborted.has(l.runId!));
}

/**
 * Reverts one lease and closes it in the ledger. When the fault was already removed (by the
 * helper's own clock, or by this worker while Postgres could not record it), the ledger records
 * that instant, not the moment somebody noticed.
 */
export async function revertLease(
  driver: FaultDriver,
  leases: LeaseRepository,
  metrics: GameDayMetrics,
  lease: FaultLease,
  reason: string,
  unrecorded?: Pick<UnrecordedReverts, 'add' | 'get' | 'forget'>,
): Promise<{ at: Date; outcome: 'reverted' | 'already_gone'; abortPath?: AbortPath }> {
  const ledger = new LeaseLedger(leases);
  // nothing runs from a changed row: refused before the driver is asked, and recorded once
  const refusal = leaseLedgerRefusal(lease);
  if (refusal) {
    await ledger.refused(lease, refusal.message);
    metrics.faultReverts.inc({ result: 'refused', reason });
    throw refusal;
  }
  try {
    // this worker removed it while Postgres was away: that instant first (the first revert recorded
    // wins), then the usual idempotent revert confirms nothing of ours is left
    const known = unrecorded?.get(lease.id);
    if (known) {
      await ledger.reverted(lease.id, known.at, known.reason);
      unrecorded!.forget(lease.id);
    }
    const result = await ledger.revert(driver, lease, reason, { recordedBy: 'caller' });
    const at = await ledger.revertedAt(driver, lease, result, known);
    await ledger.reverted(lease.id, at, revertReason(result, reason)).catch((error: unknown) => {
      // the fault is out but Postgres did not take it: keep when, for the next revert, which may
      // only find it gone (a container fault's watchdog is removed by this revert, its record with it)
      unrecorded?.add(new Map([[lease.id, { ...result, at }]]), reason);
      throw error;
    });
    metrics.faultReverts.inc({ result: 'ok', reason, ...(result.abortPath ? { path: result.abortPath } : {}) });
    return { at, outcome: result.outcome, ...(result.abortPath ? { abortPath: result.abortPath } : {}) };
  } catch (error) {
    // the ledger has recorded the failed attempt on the lease; recording it here too counted it twice
    metrics.faultReverts.inc({ result: 'failed', reason });
    throw error;
  }
}

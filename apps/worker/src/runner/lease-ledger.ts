import type { FaultLease, HelperTimeline, LeaseRepository, RevertResult } from '@gameday/core';

/** A revert this worker made that the ledger had not recorded yet (Postgres was away). */
export interface KnownRevert {
  at: Date;
  reason: string;
}

/**
 * When a fault left the kernel, from what is known about it: the instant this worker reverted it
 * while Postgres could not record it, else the helper's own record when it reverted by its clock,
 * else the driver's revert. Never the moment somebody came to look.
 */
export function revertInstant(
  result: RevertResult,
  seen: { known?: KnownRevert; timeline?: HelperTimeline } = {},
): Date {
  if (seen.known && result.outcome === 'already_gone') return seen.known.at;
  if (seen.timeline?.state === 'reverted' && seen.timeline.revertedAt) return seen.timeline.revertedAt;
  return result.at;
}

/**
 * The worker's lease transitions, each named once: applied (the helper's instant), held for the
 * executor's revert confirmation, reverted (the first revert recorded wins), refused (a row GameDay
 * never wrote, recorded once). The executor's confirmation, the backstops and the unrecorded
 * reverts write the ledger only through here.
 */
export class LeaseLedger {
  constructor(private readonly leases: LeaseRepository) {}

  /** The fault is in place since `at` (the helper's record, in the worker's clock). */
  applied(lease: Pick<FaultLease, 'id'>, at: Date): Promise<void> {
    return this.leases.markInjected(lease.id, at);
  }

  /** The executor confirms the planned revert until `until`; the backstops wait meanwhile. */
  claim(leaseId: string, until: Date): Promise<void> {
    return this.leases.claimRevert(leaseId, until);
  }

  /** Idempotent: a lease already reverted keeps its first instant and reason. */
  reverted(leaseId: string, at: Date, reason: string): Promise<void> {
    return this.leases.markReverted(leaseId, at, reason);
  }

  /** A refusal to run a changed row is recorded once: then the backstops leave it to a human. */
  async refused(lease: Pick<FaultLease, 'id' | 'lastError'>, message: string): Promise<void> {
    if (lease.lastError !== message) await this.leases.recordRevertFailure(lease.id, message);
  }
}

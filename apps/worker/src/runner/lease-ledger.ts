import {
  NO_HEARTBEAT,
  systemClock,
  type ApplyOutcome,
  type Clock,
  type FaultDriver,
  type FaultLease,
  type HelperTimeline,
  type LeaseDraft,
  type LeaseRepository,
  type PreparedFault,
  type RevertResult,
  type ScheduleOptions,
} from '@gameday/core';
import { faultCapabilities } from '@gameday/faults';

/** The draft with the experiment step it belongs to, if any, in its details. */
function withStep(draft: LeaseDraft, step: string | null | undefined): LeaseDraft {
  return step ? { ...draft, details: { ...draft.details, step } } : draft;
}

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
 * Why (and by whom) the ledger says a fault left: a watchdog's own unpause or start at its deadline
 * is `watchdog_deadline`, whoever came to look afterwards (as a helper's clock is `helper_…`);
 * otherwise the reason of the revert that removed it.
 */
export function revertReason(result: Pick<RevertResult, 'removedBy' | 'notBegun'>, reason: string): string {
  if (result.notBegun) return NO_HEARTBEAT;
  return result.removedBy === 'watchdog' ? 'watchdog_deadline' : reason;
}

/**
 * The one decider of the lease ledger: every lease transition is recorded here, from what the
 * fault driver reports (the driver acts and never writes a lease). Applying goes through here so
 * the row exists before anything touches the target (write-ahead: after any crash the reaper
 * reverts from it). Transitions: recorded (draft), applied (now, or the helper's instant), apply
 * failed (left open when something may be in place; closed as `apply_failed`/`target_gone` when
 * nothing is), handed over / `schedule_failed`, the helper's record (applied, reverted by its clock,
 * `apply_failed`, `skipped_expired`), held for the executor's revert confirmation, reverted (the
 * first revert recorded wins), revert failed, refused (a row GameDay never wrote, recorded once).
 */
/** The helper did not begin its plan: no worker's heartbeat came in time (nothing was applied). */
export function notBegunForHeartbeat(timeline: HelperTimeline): boolean {
  return timeline.state === 'reverted' && !timeline.appliedAt && timeline.revertReason === NO_HEARTBEAT;
}

export class LeaseLedger {
  constructor(
    private readonly leases: LeaseRepository,
    private readonly clock: Pick<Clock, 'now'> = systemClock,
  ) {}

  /** Records the prepared fault's lease, then applies it now under that lease. Throws when it was not applied. */
  async apply(driver: FaultDriver, prepared: PreparedFault, step?: string | null): Promise<FaultLease> {
    const lease = await this.leases.record(withStep(driver.draftLease(prepared), step));
    return this.recordApply(lease, await driver.apply(prepared, lease));
  }

  /** Records the plan's lease, then hands the helper T0/T1. Throws when the helper did not take it. */
  async schedule(
    driver: FaultDriver,
    prepared: PreparedFault,
    at: ScheduleOptions,
    step?: string | null,
  ): Promise<FaultLease> {
    const lease = await this.leases.record(withStep(driver.draftLease(prepared, at), step));
    const outcome = await driver.scheduleApply(prepared, lease, at);
    if (outcome.handedOver) return lease;
    // a hand-over the helper refused armed nothing
    await this.leases.markReverted(lease.id, this.clock.now(), 'schedule_failed');
    throw outcome.error;
  }

  /** Reads the helper's own record and records what it says happened. */
  async readTimeline(driver: FaultDriver, lease: FaultLease): Promise<HelperTimeline> {
    const timeline = await driver.readTimeline(lease);
    await this.recordTimeline(lease, timeline);
    return timeline;
  }

  /**
   * Reverts through the driver. A failed attempt is counted on the lease and thrown. A revert that
   * happened is recorded at once with the driver's instant, unless the caller records it itself
   * right after with what else it knows (`recordedBy: 'caller'`, then `reverted(revertInstant(…))`).
   * Either way a fault that is out is out: a ledger that cannot record it now (Postgres away) does
   * not turn it into a failed revert.
   */
  async revert(
    driver: FaultDriver,
    lease: FaultLease,
    reason: string,
    options: { recordedBy?: 'ledger' | 'caller' } = {},
  ): Promise<RevertResult> {
    const outcome = await driver.revert(lease, reason);
    if (!outcome.reverted) {
      const closed = await this.closedMeanwhile(lease.id);
      if (closed) return closed;
      await this.leases.recordRevertFailure(lease.id, outcome.error.message).catch(() => undefined);
      throw outcome.error;
    }
    if (options.recordedBy !== 'caller')
      await this.leases
        .markReverted(lease.id, outcome.result.at, revertReason(outcome.result, reason))
        .catch(() => undefined);
    return outcome.result;
  }

  /**
   * When a fault left, after a revert of it (revertInstant, with the helper's record where its clock
   * kept the fault). That record is read before anything removes the helper: it also holds when the
   * fault was applied, which the ledger may not know yet and is recorded here (an abort cut the
   * run's confirmation short, and the fault queue's abort removes the helper right after its revert:
   * a run asking later found no helper and reported the step as never begun).
   */
  async revertedAt(driver: FaultDriver, lease: FaultLease, result: RevertResult, known?: KnownRevert): Promise<Date> {
    const gone = result.outcome === 'already_gone';
    if (faultCapabilities(lease).clock !== 'helper' || (lease.injectedAt && !gone))
      return revertInstant(result, { known });
    const timeline = await driver.readTimeline(lease).catch(() => undefined);
    if (timeline?.appliedAt && !lease.injectedAt)
      await this.leases.markInjected(lease.id, timeline.appliedAt).catch(() => undefined);
    // gone before this revert came: the helper's record says when, if its clock took it out
    return revertInstant(result, { known, timeline: gone ? timeline : undefined });
  }

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

  /**
   * A revert that failed because another closed the lease while it ran: a run resumed after its
   * worker died confirms at T1 beside the backstops (the fault queue's revert, the reaper), which
   * close the lease and then remove its helper, and an exec into a helper being removed fails
   * (exit 126) although the fault is out. The first revert recorded wins: that one, not a failure.
   */
  private async closedMeanwhile(leaseId: string): Promise<RevertResult | null> {
    const row = await this.leases.get(leaseId).catch(() => null);
    if (!row?.revertedAt) return null;
    return {
      outcome: 'already_gone',
      at: row.revertedAt,
      details: [`closed meanwhile (${row.revertReason ?? 'reverted'})`],
    };
  }

  /** A refusal to run a changed row is recorded once: then the backstops leave it to a human. */
  async refused(lease: Pick<FaultLease, 'id' | 'lastError'>, message: string): Promise<void> {
    if (lease.lastError !== message) await this.leases.recordRevertFailure(lease.id, message);
  }

  private async recordApply(lease: FaultLease, outcome: ApplyOutcome): Promise<FaultLease> {
    if (outcome.applied) {
      await this.leases.markInjected(lease.id, outcome.at);
      return { ...lease, injectedAt: outcome.at };
    }
    await this.leases.recordRevertFailure(lease.id, outcome.error.message).catch(() => undefined);
    // closed only when nothing is known to be in place; otherwise the revert job and the reaper,
    // whose revert is idempotent, take it from the open row
    if (outcome.left === 'nothing')
      await this.leases
        .markReverted(lease.id, this.clock.now(), outcome.targetGone ? 'target_gone' : 'apply_failed')
        .catch(() => undefined);
    throw outcome.error;
  }

  private async recordTimeline(lease: FaultLease, timeline: HelperTimeline): Promise<void> {
    if (timeline.appliedAt && !lease.injectedAt) await this.leases.markInjected(lease.id, timeline.appliedAt);
    if (notBegunForHeartbeat(timeline) && !lease.revertedAt)
      await this.leases.markReverted(lease.id, this.clock.now(), NO_HEARTBEAT);
    if (timeline.revertedAt && !lease.revertedAt)
      await this.leases.markReverted(lease.id, timeline.revertedAt, `helper_${timeline.revertReason ?? 'reverted'}`);
    if ((timeline.state === 'apply_failed' || timeline.state === 'skipped_expired') && !lease.revertedAt)
      await this.leases.markReverted(lease.id, this.clock.now(), timeline.state);
  }
}

import {
  EngineUnreachableError,
  NO_HEARTBEAT,
  type Clock,
  type ExperimentPlan,
  type FaultDriver,
  type FaultLease,
  type LeaseRepository,
  type RevertResult,
  type VerifyOutcome,
} from '@gameday/core';
import type { RunRepository } from '@gameday/db';
import { faultCapabilities } from '@gameday/faults';
import type { GameDayMetrics } from '@gameday/metrics';
import { stepPrefix } from './armed-step';
import { LeaseLedger, notBegunForHeartbeat, revertInstant, revertReason } from './lease-ledger';
import { REVERT_CLAIM_MS } from './lease-revert';
import { UNKNOWN, waitForGuard, waitWhile, whileEngineAway } from './helper-waits';

export { ENGINE_WAIT_MS } from './helper-waits';

/** A helper's removal by a backstop takes a few hundred ms on the lab's engine. */
const SECOND_ATTEMPT_AFTER_MS = 1_000;

export interface Confirmed {
  /** the latest instant among the targets (the fault was in place everywhere / gone everywhere) */
  at: Date;
  /** worst skew against the planned instant, ms */
  skewMs: number;
}

const notBegunMessage = (lease: FaultLease) => {
  const within = lease.details?.heartbeatMs ? `${lease.details.heartbeatMs} ms` : 'its timeout';
  return `not begun on ${lease.containerName}: its helper heard no worker's heartbeat within ${within} before the start (nothing was applied)`;
};

/** The step a lease is, with its planned instants, for the timeline and the report. */
const stepData = (lease: FaultLease) => (lease.details?.step ? { step: lease.details.step } : {});

/**
 * Confirms what the helpers did by their own clocks at T0 and T1 and records it: lease instants,
 * skew metrics and the timeline events with planned vs actual times.
 */
export class FaultConfirmation {
  private readonly ledger: LeaseLedger;

  constructor(
    private readonly driver: FaultDriver,
    private readonly leases: LeaseRepository,
    private readonly runs: RunRepository,
    private readonly metrics: GameDayMetrics,
    private readonly clock: Clock,
  ) {
    this.ledger = new LeaseLedger(leases, clock);
  }

  /**
   * Throws when a fault was not applied; returns the verification failures to act on, or null when
   * none of the leases began (each recorded as not begun).
   */
  async injected(
    runId: string,
    leases: FaultLease[],
    ep: ExperimentPlan,
    faultKind: string,
  ): Promise<(Confirmed & { unverified: string[] }) | null> {
    if (leases.length === 0) return null;
    let latest = 0;
    let worst = Number.NEGATIVE_INFINITY;
    const unverified: string[] = [];
    for (const lease of leases) {
      const timeline = await waitWhile(this.clock, this.driver, this.ledger, lease, ['armed', 'applying'], ep.injectAt);
      if (notBegunForHeartbeat(timeline)) {
        // no worker drove the run when it was due (its worker died; the one that took the run over
        // came too late): on record as not begun, and the run goes on with what did begin
        this.metrics.faultInjections.inc({ result: 'failed', reason: NO_HEARTBEAT });
        await this.notBegun(runId, lease, ep, 'injecting');
        continue;
      }
      // applied by its helper's clock and out again by it (its T1 passed before anyone looked: a run
      // taken over between a step's T0 and its confirmation): applied, with nothing left to check
      const outAgain = timeline.state === 'reverted' && timeline.appliedAt !== undefined;
      if (!outAgain && (timeline.state !== 'applied' || !timeline.appliedAt)) {
        this.metrics.faultInjections.inc({ result: 'failed', reason: timeline.state });
        throw new Error(
          `${stepPrefix(lease.details?.step)}the fault on ${lease.containerName} was not applied (helper state ${timeline.state}${timeline.error ? `: ${timeline.error}` : ''})`,
        );
      }
      const appliedAt = timeline.appliedAt!;
      await this.ledger.applied(lease, appliedAt);
      const skew = appliedAt.getTime() - ep.injectAt;
      worst = Math.max(worst, skew);
      latest = Math.max(latest, appliedAt.getTime());
      this.metrics.injectionSkew.observe({ action: 'inject' }, Math.max(0, skew) / 1000);
      this.metrics.faultInjections.inc({ result: 'ok', reason: faultKind });
      const checked = !outAgain && faultCapabilities(lease).verifiable ? await this.check(lease) : undefined;
      // A check that ends after the fault's own planned end (a 1 s step confirmed on a busy host)
      // finds it gone by its helper's clock, as planned: not a fault "not as intended", and no
      // reason to abort the run (CI aborted such a step that had been applied 40 ms after T0).
      const verified = checked && !checked.ok && this.clock.now().getTime() >= ep.revertAt ? undefined : checked;
      if (verified && !verified.ok)
        unverified.push(`fault on ${lease.containerName} is not as intended: ${verified.reasons.join('; ')}`);
      await this.runs.appendEvent(runId, {
        type: 'fault.applied',
        message: `${stepPrefix(lease.details?.step)}applied on ${lease.containerName} ${skew} ms after the planned instant${outAgain ? "; removed again by its helper's clock before this worker looked" : ''}${verified && !verified.ok ? `; verification failed: ${verified.reasons.join('; ')}` : ''}`,
        phase: 'injecting',
        experimentIndex: ep.index,
        plannedAt: new Date(ep.injectAt),
        at: appliedAt,
        data: {
          leaseId: lease.id,
          ...stepData(lease),
          containerId: lease.containerId,
          skewMs: skew,
          applyArgv: lease.applyArgv,
          verified: verified ? verified.ok : null,
        },
      });
    }
    // none of them began: there is no instant to confirm
    return latest === 0 ? null : { at: new Date(latest), skewMs: worst, unverified };
  }

  /**
   * Reads the fault back. A check that cannot run (an exec into a helper whose target restarted
   * under it) is a failed check, which the run acts on like any other, not a failed run; an engine
   * that does not answer is no verdict (as during the window).
   */
  private async check(lease: FaultLease): Promise<VerifyOutcome | undefined> {
    try {
      return await this.driver.verify(lease);
    } catch (error) {
      if (error instanceof EngineUnreachableError) return undefined;
      return { ok: false, reasons: [`could not be checked: ${(error as Error).message}`] };
    }
  }

  /**
   * Faults with no clock of their own in the target (container pause/stop; exec and nsenter steps,
   * whose helper only watches for the expiry) come out at T1 from what this worker holds, before
   * anything is written: Postgres may be unreachable right then, and the fault must not wait for
   * it. reverted() records the results once Postgres answers; a failure here is retried there,
   * then by the backstops.
   */
  async revertUnguarded(leases: FaultLease[], reason: string): Promise<Map<string, RevertResult>> {
    return this.revertNow(
      leases.filter((l) => faultCapabilities(l).clock !== 'helper'),
      reason,
    );
  }

  /**
   * A fault's planned end: what no clock in the target takes out comes out from here, as in
   * revertUnguarded, but a fault guarded at its end is left to its guard (a container fault's
   * watchdog, which acts at that instant by the engine's clock; reverted() waits for it). Standing
   * the watchdog down first to act from here took 8-11 s in the lab's busy guest, each inspect of
   * its stand-down competing with the system under test, while the watchdog acts at T1.
   */
  async revertAtPlannedEnd(leases: FaultLease[]): Promise<Map<string, RevertResult>> {
    const guarded = await Promise.all(leases.map((l) => this.guarded(l)));
    return this.revertUnguarded(
      leases.filter((_, i) => !guarded[i]),
      'planned_end',
    );
  }

  private async guarded(lease: FaultLease): Promise<boolean> {
    if (!faultCapabilities(lease).guardedAtEnd) return false;
    return (await this.driver.hasLiveHelper?.(lease).catch(() => false)) ?? false;
  }

  /**
   * An abort: every fault this worker holds comes out now, all at once, from memory, whoever keeps
   * its clock (a helper would wait for its T1; an armed step not begun is stood down before its T0).
   */
  async revertNow(leases: FaultLease[], reason: string): Promise<Map<string, RevertResult>> {
    const early = new Map<string, RevertResult>();
    await Promise.all(
      leases.map(async (l) => {
        const result = await this.ledger
          .revert(this.driver, l, reason, { recordedBy: 'caller' })
          .catch(() => undefined);
        if (!result) return;
        // a helper's record says whether its clock had applied the fault (its step's lane may not have
        // confirmed it yet: the abort cut that short) and, when it was gone before the abort came (its
        // T1 passed, not yet confirmed), when it left: not this moment
        const at = await this.ledger.revertedAt(this.driver, l, result);
        await this.ledger.reverted(l.id, at, revertReason(result, reason)).catch(() => undefined);
        early.set(l.id, { ...result, at });
      }),
    );
    return early;
  }

  /** At T1 the helper reverts by its own clock; confirm it, or revert from here. */
  async reverted(
    runId: string,
    leases: FaultLease[],
    ep: ExperimentPlan,
    reason: string,
    early: ReadonlyMap<string, RevertResult> = new Map(),
  ): Promise<Confirmed | null> {
    if (leases.length === 0) return null;
    let latest = 0;
    let worst = Number.NEGATIVE_INFINITY;
    // the backstops due shortly after T1 wait while we confirm, rather than repeat our docker execs
    const claimUntil = new Date(this.clock.now().getTime() + REVERT_CLAIM_MS);
    for (const lease of leases) await this.ledger.claim(lease.id, claimUntil);
    // A lease another layer closed already (a resumed run comes after the fault queue's revert or
    // the reaper, which confirmed nothing of ours is left): its record stands. Asking the helper
    // again raced that layer's removal of it, and an exec into a helper being removed failed the
    // run although the fault had been out since T1.
    const closedRow = async (lease: FaultLease): Promise<FaultLease | null> => {
      const row = early.has(lease.id) ? null : await this.leases.get(lease.id);
      return row?.revertedAt ? row : null;
    };
    const recordClosed = async (lease: FaultLease, row: FaultLease & { revertedAt: Date }): Promise<void> => {
      if (row.revertReason === NO_HEARTBEAT && !row.injectedAt) return this.notBegun(runId, lease, ep, 'rolling_back');
      const skew = row.revertedAt.getTime() - ep.revertAt;
      worst = Math.max(worst, skew);
      latest = Math.max(latest, row.revertedAt.getTime());
      await this.runs.appendEvent(runId, {
        type: 'fault.reverted',
        message: `${stepPrefix(lease.details?.step)}reverted on ${lease.containerName} ${skew} ms after the planned instant (recorded before this worker looked: ${row.revertReason ?? 'reverted'})`,
        phase: 'rolling_back',
        experimentIndex: ep.index,
        plannedAt: new Date(ep.revertAt),
        at: row.revertedAt,
        data: {
          leaseId: lease.id,
          ...stepData(lease),
          skewMs: skew,
          revertArgv: lease.revertArgv,
          closedBy: row.revertReason,
        },
      });
    };
    const closed = new Map<string, FaultLease>();
    for (const lease of leases) {
      const row = await closedRow(lease);
      if (row) closed.set(lease.id, row);
    }
    for (const lease of leases) {
      const row = closed.get(lease.id);
      if (row?.revertedAt) {
        await recordClosed(lease, { ...row, revertedAt: row.revertedAt });
        continue;
      }
      let timeline =
        faultCapabilities(lease).clock === 'helper'
          ? await waitWhile(this.clock, this.driver, this.ledger, lease, ['applied'], ep.revertAt)
          : UNKNOWN;
      if (notBegunForHeartbeat(timeline)) {
        await this.notBegun(runId, lease, ep, 'rolling_back');
        continue;
      }
      // revert() is idempotent: after the helper's own revert it confirms nothing of ours is left.
      // An engine that does not answer is waited for, the claim held meanwhile so the backstops
      // do not repeat the wait: with live-restore a dockerd restart leaves targets and helpers
      // running, and the helper's clock in charge of the fault.
      let awayMs = 0;
      let revert = early.get(lease.id);
      // closed by another layer's revert while this worker waited on the helper's record (a
      // `helper_…` reason is that record, read by anyone, this worker included): that layer
      // confirmed nothing of ours is left and removed the helper, and asked now the kind would
      // start a helper of its own only to confirm it again
      const closedSince = revert ? null : await closedRow(lease);
      if (closedSince?.revertedAt && !closedSince.revertReason?.startsWith('helper_')) {
        await recordClosed(lease, { ...closedSince, revertedAt: closedSince.revertedAt });
        continue;
      }
      // a guard acting at the planned end by itself is waited for, not raced: its record is the revert
      if (!revert && faultCapabilities(lease).guardedAtEnd) await waitForGuard(this.clock, this.driver, lease);
      if (!revert) {
        const waited = await whileEngineAway(
          this.clock,
          () => this.revertOnceMore(lease, reason),
          () => this.ledger.claim(lease.id, new Date(this.clock.now().getTime() + REVERT_CLAIM_MS)),
        );
        revert = waited.value;
        awayMs = waited.awayMs;
      }
      if (awayMs > 0 && faultCapabilities(lease).clock === 'helper' && timeline.state !== 'reverted')
        timeline = await this.driver.readTimeline(lease).catch(() => UNKNOWN);
      const revertedAt = revertInstant(revert, { timeline });
      await this.ledger.reverted(lease.id, revertedAt, reason);
      this.metrics.faultReverts.inc({ result: 'ok', reason });
      const skew = revertedAt.getTime() - ep.revertAt;
      worst = Math.max(worst, skew);
      latest = Math.max(latest, revertedAt.getTime());
      this.metrics.injectionSkew.observe({ action: 'revert' }, Math.max(0, skew) / 1000);
      await this.runs.appendEvent(runId, {
        type: 'fault.reverted',
        message: `${stepPrefix(lease.details?.step)}reverted on ${lease.containerName} ${skew} ms after the planned instant${awayMs > 0 ? ` (the engine did not answer; confirmed ${this.clock.now().getTime() - ep.revertAt} ms after the planned instant, once it did)` : ''}`,
        phase: 'rolling_back',
        experimentIndex: ep.index,
        plannedAt: new Date(ep.revertAt),
        at: revertedAt,
        data: {
          leaseId: lease.id,
          ...stepData(lease),
          skewMs: skew,
          revertArgv: lease.revertArgv,
          ...(awayMs > 0 ? { engineAwayMs: awayMs } : {}),
        },
      });
    }
    // every step here was not begun: nothing came out, so there is no instant to confirm
    return latest === 0 ? null : { at: new Date(latest), skewMs: worst };
  }

  /**
   * A step its helper did not begin (no worker drove the run in time), on the run's record. Its
   * lease is closed already: by the read of the helper's record that found it (the ledger's
   * recordTimeline), or by whoever closed the row before this worker looked.
   */
  private async notBegun(
    runId: string,
    lease: FaultLease,
    ep: ExperimentPlan,
    phase: 'injecting' | 'rolling_back',
  ): Promise<void> {
    await this.runs.appendEvent(runId, {
      type: 'fault.not_begun',
      message: `${stepPrefix(lease.details?.step)}${notBegunMessage(lease)}`,
      phase,
      experimentIndex: ep.index,
      plannedAt: new Date(lease.plannedAt?.getTime() ?? ep.injectAt),
      data: { leaseId: lease.id, ...stepData(lease), reason: NO_HEARTBEAT },
    });
  }

  /**
   * The idempotent revert, asked a second time when the first attempt failed. A run resumed after
   * its worker died confirms at T1 beside the backstops (the fault queue's revert, the reaper),
   * which remove the helper once they closed the lease: an exec into a helper being removed fails
   * (exit 126, HTTP 409) although the fault is out. Asked again, the kind finds no helper and
   * takes its own way to confirm nothing of ours is left; a real failure fails twice.
   */
  private async revertOnceMore(lease: FaultLease, reason: string): Promise<RevertResult> {
    try {
      return await this.ledger.revert(this.driver, lease, reason, { recordedBy: 'caller' });
    } catch (error) {
      if (error instanceof EngineUnreachableError) throw error;
      await new Promise((r) => setTimeout(r, SECOND_ATTEMPT_AFTER_MS));
      return this.ledger.revert(this.driver, lease, reason, { recordedBy: 'caller' });
    }
  }
}

import {
  EngineUnreachableError,
  type Clock,
  type ExperimentPlan,
  type FaultDriver,
  type FaultLease,
  type HelperTimeline,
  type LeaseRepository,
  type RevertResult,
} from '@gameday/core';
import type { RunRepository } from '@gameday/db';
import { faultCapabilities } from '@gameday/faults';
import type { GameDayMetrics } from '@gameday/metrics';
import { stepPrefix } from './armed-step';
import { LeaseLedger, revertInstant, revertReason } from './lease-ledger';
import { REVERT_CLAIM_MS } from './lease-revert';

/** How long after the first look we wait for the helper to report that it applied/reverted. */
const CONFIRM_TIMEOUT_MS = 5_000;
/**
 * Each look at the helper's record is a `docker exec` that competes for the engine's CPU with the
 * helper doing its work and with the system under test. At T0/T1 the helper is busy with its tc
 * steps: the first look waits until it is most likely done (tens of ms on a host, about a second
 * on the lab's one virtual CPU, where looks from the start made the apply seconds late), then
 * backs off.
 */
const FIRST_LOOK_MS = 500;
const LOOK_DELAYS_MS = [250, 500, 1_000];

export interface Confirmed {
  /** the latest instant among the targets (the fault was in place everywhere / gone everywhere) */
  at: Date;
  /** worst skew against the planned instant, ms */
  skewMs: number;
}

/** The step a lease is, with its planned instants, for the timeline and the report. */
const stepData = (lease: FaultLease) => (lease.details?.step ? { step: lease.details.step } : {});

const UNKNOWN: HelperTimeline = { state: 'unknown' };

/**
 * How long the planned revert's confirmation waits for an engine that does not answer. A dockerd
 * restart took 14 s in the lab's one-vCPU guest; meanwhile the helper's clock has the fault out,
 * and the backstops would find the same engine away.
 */
export const ENGINE_WAIT_MS = 60_000;

/**
 * Retries `op` while the engine does not answer (a dockerd restart) for up to ENGINE_WAIT_MS.
 * From the first miss on, `holdClaim` is called every few seconds until the op gets through or the
 * wait is over: the attempt that reaches an engine just back can itself take many seconds (16 s of
 * execs in the lab), and a lapsed claim let the revert job and the reaper repeat them meanwhile.
 * `awayMs` is from the first attempt that found the engine away to the one that got through.
 */
async function whileEngineAway<T>(
  clock: Clock,
  op: () => Promise<T>,
  holdClaim: () => Promise<void>,
): Promise<{ value: T; awayMs: number }> {
  // how long the engine is waited for is measured: a stepped wall clock must not shorten it
  const deadline = clock.monotonicMs() + ENGINE_WAIT_MS;
  let firstMiss: number | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
      const attempt = clock.monotonicMs();
      try {
        const value = await op();
        return { value, awayMs: firstMiss === undefined ? 0 : attempt - firstMiss };
      } catch (err) {
        if (!(err instanceof EngineUnreachableError) || clock.monotonicMs() + delay > deadline) throw err;
        if (firstMiss === undefined) {
          firstMiss = attempt;
          await holdClaim();
          // never past the deadline: a hung attempt must not hold the backstops off for good
          heartbeat = setInterval(() => {
            if (clock.monotonicMs() < deadline) void holdClaim().catch(() => undefined);
          }, REVERT_CLAIM_MS / 3);
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  } finally {
    clearInterval(heartbeat);
  }
}

/** Reads the helper's record (recording what it says) until it leaves the given states or the deadline passes. */
async function waitWhile(
  clock: Clock,
  driver: FaultDriver,
  ledger: LeaseLedger,
  lease: FaultLease,
  states: HelperTimeline['state'][],
  plannedAt: number,
): Promise<HelperTimeline> {
  const read = () => ledger.readTimeline(driver, lease).catch(() => UNKNOWN);
  // the planned instant is wall time; how long we keep looking is measured
  const firstLook = plannedAt + FIRST_LOOK_MS;
  const wait = firstLook - clock.now().getTime();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const deadline = clock.monotonicMs() + CONFIRM_TIMEOUT_MS;
  let timeline = await read();
  for (let i = 0; states.includes(timeline.state) && clock.monotonicMs() < deadline; i++) {
    await new Promise((r) => setTimeout(r, LOOK_DELAYS_MS[Math.min(i, LOOK_DELAYS_MS.length - 1)]));
    timeline = await read();
  }
  return timeline;
}

/**
 * Confirms what the helpers did by their own clocks at T0 and T1 and records it: lease instants,
 * skew metrics and the timeline events with planned vs actual times.
 */
export class FaultConfirmation {
  private readonly ledger: LeaseLedger;

  constructor(
    private readonly driver: FaultDriver,
    leases: LeaseRepository,
    private readonly runs: RunRepository,
    private readonly metrics: GameDayMetrics,
    private readonly clock: Clock,
  ) {
    this.ledger = new LeaseLedger(leases, clock);
  }

  /** Throws when a fault was not applied; returns the verification failures to act on. */
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
      if (timeline.state !== 'applied' || !timeline.appliedAt) {
        this.metrics.faultInjections.inc({ result: 'failed', reason: timeline.state });
        throw new Error(
          `${stepPrefix(lease.details?.step)}the fault on ${lease.containerName} was not applied (helper state ${timeline.state}${timeline.error ? `: ${timeline.error}` : ''})`,
        );
      }
      await this.ledger.applied(lease, timeline.appliedAt);
      const skew = timeline.appliedAt.getTime() - ep.injectAt;
      worst = Math.max(worst, skew);
      latest = Math.max(latest, timeline.appliedAt.getTime());
      this.metrics.injectionSkew.observe({ action: 'inject' }, Math.max(0, skew) / 1000);
      this.metrics.faultInjections.inc({ result: 'ok', reason: faultKind });
      const verified = faultCapabilities(lease).verifiable ? await this.driver.verify(lease) : undefined;
      if (verified && !verified.ok)
        unverified.push(`fault on ${lease.containerName} is not as intended: ${verified.reasons.join('; ')}`);
      await this.runs.appendEvent(runId, {
        type: 'fault.applied',
        message: `${stepPrefix(lease.details?.step)}applied on ${lease.containerName} ${skew} ms after the planned instant${verified && !verified.ok ? `; verification failed: ${verified.reasons.join('; ')}` : ''}`,
        phase: 'injecting',
        experimentIndex: ep.index,
        plannedAt: new Date(ep.injectAt),
        at: timeline.appliedAt,
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
    return { at: new Date(latest), skewMs: worst, unverified };
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
        const timeline =
          faultCapabilities(l).clock === 'helper'
            ? await this.driver.readTimeline(l).catch(() => undefined)
            : undefined;
        if (timeline?.appliedAt && !l.injectedAt)
          await this.ledger.applied(l, timeline.appliedAt).catch(() => undefined);
        const at = revertInstant(result, { timeline: result.outcome === 'already_gone' ? timeline : undefined });
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
    for (const lease of leases) {
      let timeline =
        faultCapabilities(lease).clock === 'helper'
          ? await waitWhile(this.clock, this.driver, this.ledger, lease, ['applied'], ep.revertAt)
          : UNKNOWN;
      // revert() is idempotent: after the helper's own revert it confirms nothing of ours is left.
      // An engine that does not answer is waited for, the claim held meanwhile so the backstops
      // do not repeat the wait: with live-restore a dockerd restart leaves targets and helpers
      // running, and the helper's clock in charge of the fault.
      let awayMs = 0;
      let revert = early.get(lease.id);
      if (!revert) {
        const waited = await whileEngineAway(
          this.clock,
          () => this.ledger.revert(this.driver, lease, reason, { recordedBy: 'caller' }),
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
    return { at: new Date(latest), skewMs: worst };
  }
}

import { FaultStepError, type FaultSpec, type LeaseDetails } from '@gameday/core';
import type { FaultEngine } from '../engine/fault-engine';
import { handOverSchedule, waitForHelperApplied, type HelperSteps } from '../engine/helper-handover';
import type { FaultCapabilities, FaultKind, PreparedOf } from './fault-kind';

/**
 * What kinds acting in the target's netns through the sidecar helper share: the helper keeps the
 * fault's clock (unless the worker applies it, as a network fault's exec and nsenter do), and the
 * fault is read back and re-checked during its window.
 */
export function helperCapabilities(clock: FaultCapabilities['clock'] = 'helper'): FaultCapabilities {
  return { clock, verifiable: true, reverify: true };
}

/**
 * The schedule of a kind whose helper keeps the clock: the lease gets the kind's own details and
 * the instants handed over (in the worker's clock, with the correction the helper's are shifted
 * by), and the helper gets the kind's compiled steps.
 */
export function helperSchedule<S extends FaultSpec, A, D>(kind: {
  steps: (prepared: PreparedOf<S, A>) => HelperSteps;
  details: (prepared: PreparedOf<S, A>) => LeaseDetails<D>;
}): NonNullable<FaultKind<S, A, D>['schedule']> {
  return {
    details: (prepared, at, expireAt) => ({
      ...kind.details(prepared),
      applyAt: at.applyAt.toISOString(),
      revertAt: at.revertAt.toISOString(),
      selfExpiryAt: new Date(expireAt).toISOString(),
      clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
    }),
    handOver: (engine, prepared, at, expireAt) =>
      handOverSchedule(engine, prepared, kind.steps(prepared), at, expireAt),
  };
}

/** What a kind whose helper runs a plan of its own (a kill loop, stress-ng, a fill file) tells it. */
export interface HelperPlan<S extends FaultSpec, A, D> {
  /** the helper's command that takes the plan (`killplan`, `stressplan`, `fillplan`) */
  command: string;
  /** the plan's words after the instants */
  words: (prepared: PreparedOf<S, A>) => string[];
  /** the kind's own lease details */
  details: (prepared: PreparedOf<S, A>) => LeaseDetails<D>;
  /** what the helper did not do when its record never says applied ("did not start stress-ng") */
  notApplied: string;
}

/**
 * Apply and schedule of a kind whose helper runs the plan itself: the plan is handed over with the
 * instants in the helper's clock (now and no end, or T0/T1), refused by its exit code (nothing was
 * done) or taken (`armed …`); applying now waits for the helper's record of the start.
 */
export function helperPlanClock<S extends FaultSpec, A, D>(
  plan: HelperPlan<S, A, D>,
): Pick<FaultKind<S, A, D>, 'apply' | 'nothingApplied'> & { schedule: NonNullable<FaultKind<S, A, D>['schedule']> } {
  const hand = async (
    engine: FaultEngine,
    prepared: PreparedOf<S, A>,
    at: { applyAt: number; revertAt: number; expireAt: number; heartbeatMs?: number },
    rolledBack: boolean,
  ) => {
    const r = await engine.helpers.handPlan(
      prepared.helperContainerId!,
      plan.command,
      at,
      plan.words(prepared),
      prepared.abortNonce,
    );
    if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', plan.command], r.exitCode, r.stderr, rolledBack);
    if (!/^armed /.test(r.stdout)) throw new Error(`the helper did not take the plan: ${r.stdout.trim()}`);
  };
  return {
    async apply(engine, prepared) {
      const shift = prepared.clockOffset?.correctionMs ?? 0;
      const expireAt = prepared.expiresAt.getTime() + prepared.graceMs + shift;
      // now, in the helper's clock; revertAt 0: it runs until its expiry unless reverted before
      await hand(engine, prepared, { applyAt: engine.now().getTime() + shift, revertAt: 0, expireAt }, true);
      return waitForHelperApplied(engine, prepared, shift, plan.command, plan.notApplied);
    },
    // the helper refused the plan (its exit code) or never started it: nothing was done
    nothingApplied: (err) => err instanceof FaultStepError && err.rolledBack,
    schedule: {
      details: (prepared, at, expireAt) => ({
        ...plan.details(prepared),
        applyAt: at.applyAt.toISOString(),
        revertAt: at.revertAt.toISOString(),
        selfExpiryAt: new Date(expireAt).toISOString(),
        clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
      }),
      handOver: (engine, prepared, at, expireAt) => {
        const shift = prepared.clockOffset?.correctionMs ?? 0;
        return hand(
          engine,
          prepared,
          {
            applyAt: at.applyAt.getTime() + shift,
            revertAt: at.revertAt.getTime() + shift,
            expireAt: expireAt + shift,
            heartbeatMs: at.heartbeatMs,
          },
          false,
        );
      },
    },
  };
}

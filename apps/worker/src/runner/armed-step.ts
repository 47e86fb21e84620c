import {
  stepPlan,
  type ExperimentPlan,
  type FaultLease,
  type FaultSpec,
  type PreparedFault,
  type StepsSource,
} from '@gameday/core';
import type { Confirmed } from './fault-confirmation';

/**
 * One fault of an experiment as armed: the experiment's single `fault` (name null, the whole
 * window) or one of its `steps`, with its own instants. Every step is armed ahead; each is fired
 * by its helper's clock, or by the worker at its instant when its helper keeps none.
 */
export interface ArmedStep {
  readonly name: string | null;
  readonly fault: FaultSpec;
  /** its T0 and T1 (epoch ms, the worker's clock) */
  readonly injectAt: number;
  readonly revertAt: number;
  readonly prepared: PreparedFault[];
  /** prepared faults the worker applies at T0 (their helper keeps no clock) */
  pending: PreparedFault[];
  leases: FaultLease[];
  applied: Confirmed | null;
  reverted: Confirmed | null;
  /** its helpers did not begin it (no worker's heartbeat when it was due): nothing to end */
  notBegun: boolean;
}

/** The experiment's plan with the step's own instants: what confirmation measures skews against. */
export function planOf(ep: ExperimentPlan, step: Pick<ArmedStep, 'injectAt' | 'revertAt'>): ExperimentPlan {
  return { ...ep, injectAt: step.injectAt, revertAt: step.revertAt };
}

/**
 * A lease's own planned end: its expiry is its step's T1 (the experiment's T1 for a single fault).
 * A resumed run knows its steps from the ledger only.
 */
export function leaseRevertAt(lease: Pick<FaultLease, 'expiresAt'>): number {
  return lease.expiresAt.getTime();
}

/** `step "x": ` before a message about a step's fault; nothing for an experiment's single fault. */
export function stepPrefix(name: string | null | undefined): string {
  return name ? `step "${name}": ` : '';
}

/** The earliest and latest of the steps' confirmed instants: the fault window as it really was. */
export function spanOf(confirmed: (Confirmed | null)[], pick: 'first' | 'last'): Confirmed | null {
  const known = confirmed.filter((c): c is Confirmed => c !== null);
  if (known.length === 0) return null;
  const at = known.map((c) => c.at.getTime());
  return {
    at: new Date(pick === 'first' ? Math.min(...at) : Math.max(...at)),
    skewMs: Math.max(...known.map((c) => c.skewMs)),
  };
}

/**
 * The steps of a resumed run, from its open leases (this worker armed none of them): each lease
 * goes with the step its details name, on the plan's instants. A step on the worker's clock that
 * had not begun has no lease and no prepared fault here: it does not begin.
 */
export function stepsFromLedger(exp: StepsSource, ep: ExperimentPlan, leases: FaultLease[]): ArmedStep[] {
  return stepPlan(exp)
    .map((s) => ({
      name: s.name,
      fault: s.fault,
      injectAt: ep.injectAt + s.offsetMs,
      revertAt: ep.injectAt + s.offsetMs + s.durationMs,
      prepared: [],
      pending: [],
      leases: leases.filter((l) => (l.details?.step ?? null) === s.name),
      applied: null,
      reverted: null,
      notBegun: false,
    }))
    .filter((s) => s.leases.length > 0);
}

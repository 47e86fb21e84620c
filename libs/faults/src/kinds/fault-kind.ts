import type {
  DryRunTarget,
  FaultLease,
  FaultSpec,
  LeaseDetails,
  PreparedFault,
  PrepareOptions,
  ResolvedTarget,
  RevertResult,
  ScheduleOptions,
  TargetResolution,
  TargetSpec,
  VerifyOutcome,
} from '@gameday/core';
import type { FaultEngine } from '../engine/fault-engine';

/** What the worker may ask of a fault, prepared or leased, without knowing its kind. */
export interface FaultCapabilities {
  /**
   * `helper`: a helper in the target's netns holds the fault's clock (it applies at T0 and reverts
   * at T1 by itself; scheduleApply hands it the plan). `worker`: the worker applies and reverts it.
   */
  clock: 'helper' | 'worker';
  /** Whether verify() reads the fault back from the target (otherwise there is nothing to confirm). */
  verifiable: boolean;
  /** Whether the fault is re-checked during its window (a restarted target or another tool may undo it). */
  reverify: boolean;
  /**
   * Where the worker keeps the clock: whether the lease's own container (a container fault's
   * watchdog) takes the fault out at the lease's expiry by itself while it runs, as a helper that
   * keeps the clock does. The backstops then leave that moment to it instead of racing it.
   */
  guardedAtEnd?: boolean;
}

/** The kind's part of a lease draft (its details' `kindPart` is D); the engine, run and instants come from the dispatcher. */
export type LeaseDraftPart<D = unknown> = Pick<FaultLease, 'kind' | 'applyArgv' | 'revertArgv' | 'verifyArgv'> &
  Partial<Pick<FaultLease, 'device' | 'handle'>> & { details: LeaseDetails<D> };

/** The common fields of a prepared fault, before its kind arms anything. */
export type PreparedBase = Omit<PreparedFault, 'strategy' | 'armed'>;

/** A prepared fault of spec S, with what its kind armed (A). */
export type PreparedOf<S extends FaultSpec, A> = PreparedFault<A> & { spec: S };

/**
 * One fault kind on a Docker Engine: everything that differs between kinds, and nothing that does
 * not. The dispatcher (DockerFaultDriver) times, measures and reports outcomes; a kind only acts.
 * Neither writes the lease ledger: the worker records every transition. A is what its prepare arms
 * (PreparedFault's `armed`), D its part of the lease's details (`kindPart`, read with kindPart<D>),
 * P what its dry run shows of each target beside the plan (DryRunTarget<P>, read with kindFields<P>).
 */
export interface FaultKind<S extends FaultSpec = FaultSpec, A = unknown, D = unknown, P extends object = object> {
  readonly name: S['kind'];
  /** Target selection: containers sharing one network namespace count once. */
  readonly dedupeNetns: boolean;
  /**
   * A kind whose fault names several target selectors (a partition's two groups) resolves them
   * itself, each with `resolveOne`, and may tell each target more in fields of its own (a
   * partition's side, read by its module with kindFields). Absent:
   * the dispatcher resolves the fault's one `target`.
   */
  resolveTargets?(spec: S, resolveOne: (target: TargetSpec) => Promise<TargetResolution>): Promise<TargetResolution>;
  /** Asked of a prepared fault or of a lease (its strategy may decide who keeps the clock). */
  capabilities(fault: { strategy: FaultLease['strategy'] }): FaultCapabilities;
  /** What would run on one target, nothing applied (a kind may look things up on the engine). */
  dryRunTarget(engine: FaultEngine, spec: S, target: ResolvedTarget): DryRunTarget<P> | Promise<DryRunTarget<P>>;
  /** Arms ahead of T0 (probe, helper, clock offset); applies nothing and writes no lease. */
  prepare(engine: FaultEngine, spec: S, base: PreparedBase, options: PrepareOptions): Promise<PreparedFault<A>>;
  /** The kind's part of the ledger row of a prepared fault. */
  draftLease(prepared: PreparedOf<S, A>): LeaseDraftPart<D>;
  /** Applies now, under the recorded lease; returns the instant the fault took effect. */
  apply(engine: FaultEngine, prepared: PreparedOf<S, A>, lease: FaultLease): Promise<Date>;
  /** Whether a failed apply is known to have left nothing in place (the worker may close the lease). */
  nothingApplied(err: unknown): boolean;
  /** Kinds whose helper keeps the clock: extra lease details for a scheduled fault, then the hand-over. */
  schedule?: {
    details(prepared: PreparedOf<S, A>, at: ScheduleOptions, expireAt: number): LeaseDetails<D>;
    handOver(engine: FaultEngine, prepared: PreparedOf<S, A>, at: ScheduleOptions, expireAt: number): Promise<void>;
  };
  /** Reads the fault back from the target. */
  verify(engine: FaultEngine, lease: FaultLease): Promise<VerifyOutcome>;
  /** Idempotent: "already gone" is success; removes only what the lease owns. */
  revert(engine: FaultEngine, lease: FaultLease, reason: string): Promise<RevertResult>;
  /** A kind whose targets are in groups (a partition's sides): the group of the lease's target, for run results. */
  side?(lease: FaultLease): string | undefined;
}

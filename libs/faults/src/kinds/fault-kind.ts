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
}

/** The kind's part of a lease draft; the engine, run and instants come from the dispatcher. */
export type LeaseDraftPart = Pick<FaultLease, 'kind' | 'applyArgv' | 'revertArgv' | 'verifyArgv'> &
  Partial<Pick<FaultLease, 'device' | 'handle'>> & { details: LeaseDetails };

/** The common fields of a prepared fault, before its kind arms anything. */
export type PreparedBase = Omit<PreparedFault, 'strategy'>;

/**
 * One fault kind on a Docker Engine: everything that differs between kinds, and nothing that does
 * not. The dispatcher (DockerFaultDriver) times, measures and reports outcomes; a kind only acts.
 * Neither writes the lease ledger: the worker records every transition.
 */
export interface FaultKind<S extends FaultSpec = FaultSpec> {
  readonly name: S['kind'];
  /** Target selection: containers sharing one network namespace count once. */
  readonly dedupeNetns: boolean;
  /**
   * A kind whose fault names several target selectors (a partition's two groups) resolves them
   * itself, each with `resolveOne`, and may tell each target more (its side, its peers). Absent:
   * the dispatcher resolves the fault's one `target`.
   */
  resolveTargets?(spec: S, resolveOne: (target: TargetSpec) => Promise<TargetResolution>): Promise<TargetResolution>;
  /** Asked of a prepared fault or of a lease (its strategy may decide who keeps the clock). */
  capabilities(fault: { strategy: FaultLease['strategy'] }): FaultCapabilities;
  /** What would run on one target, nothing applied (a kind may look things up on the engine). */
  dryRunTarget(engine: FaultEngine, spec: S, target: ResolvedTarget): DryRunTarget | Promise<DryRunTarget>;
  /** Arms ahead of T0 (probe, helper, clock offset); applies nothing and writes no lease. */
  prepare(engine: FaultEngine, spec: S, base: PreparedBase, options: PrepareOptions): Promise<PreparedFault>;
  /** The kind's part of the ledger row of a prepared fault. */
  draftLease(prepared: PreparedFault & { spec: S }): LeaseDraftPart;
  /** Applies now, under the recorded lease; returns the instant the fault took effect. */
  apply(engine: FaultEngine, prepared: PreparedFault & { spec: S }, lease: FaultLease): Promise<Date>;
  /** Whether a failed apply is known to have left nothing in place (the worker may close the lease). */
  nothingApplied(err: unknown): boolean;
  /** Kinds whose helper keeps the clock: extra lease details for a scheduled fault, then the hand-over. */
  schedule?: {
    details(prepared: PreparedFault & { spec: S }, at: ScheduleOptions, expireAt: number): LeaseDetails;
    handOver(
      engine: FaultEngine,
      prepared: PreparedFault & { spec: S },
      at: ScheduleOptions,
      expireAt: number,
    ): Promise<void>;
  };
  /** Reads the fault back from the target. */
  verify(engine: FaultEngine, lease: FaultLease): Promise<VerifyOutcome>;
  /** Idempotent: "already gone" is success; removes only what the lease owns. */
  revert(engine: FaultEngine, lease: FaultLease, reason: string): Promise<RevertResult>;
}

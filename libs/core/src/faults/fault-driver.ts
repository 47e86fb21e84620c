import type { CompiledBlackhole } from './blackhole.compiler';
import type { ClockOffset } from './clock-offset';
import type { FaultSpec } from './fault.schema';
import type { FaultLease } from './fault-lease';
import type { CompiledNetworkFault } from './network-fault.compiler';
import type { VerifyOutcome } from './qdisc-verify';
import type { RefusedCandidate, SelectionRecord } from './target-selection';

/** A container the fault will act on, as resolved on one Docker Engine. */
export interface ResolvedTarget {
  engine: string;
  containerId: string;
  containerName: string;
  /** Identity of the container's network namespace (sandbox), shared by containers in one netns. */
  netnsId: string;
  pid?: number;
  /** nsenter only: the inode behind /proc/PID/ns/net at arming ("net:[4026532288]"); a reused PID has another */
  netnsInode?: string;
  labels: Record<string, string>;
}

export interface TargetResolution {
  targets: ResolvedTarget[];
  refused: RefusedCandidate[];
  deduplicated: { id: string; name: string; sharesNetnsWith: string }[];
  selection: SelectionRecord;
}

export interface DryRunTarget {
  target: ResolvedTarget;
  strategy: FaultLease['strategy'];
  /** How each argv is run: e.g. ["docker", "exec", "<helper>"] or ["nsenter", "-t", "PID", "-n"]. */
  runner: string[];
  apply: string[][];
  verify: string[][];
  revert: string[][];
  warnings: string[];
}

export interface DryRunResult {
  kind: FaultSpec['kind'];
  targets: DryRunTarget[];
  refused: RefusedCandidate[];
  deduplicated: TargetResolution['deduplicated'];
  selection: SelectionRecord;
}

export interface PrepareOptions {
  /** When the fault must be gone at the latest; the helper's self-expiry fires at expiresAt + grace. */
  expiresAt: Date;
  graceMs?: number;
  runId?: string | null;
  experimentIndex?: number;
  /** refuse to arm a helper whose clock differs from the worker's by more than this (ms) */
  maxClockOffsetMs?: number;
}

/** A fault armed on one target: capabilities probed, helper (if any) running in the netns. */
export interface PreparedFault {
  spec: FaultSpec;
  target: ResolvedTarget;
  strategy: FaultLease['strategy'];
  compiled?: CompiledNetworkFault;
  /** blackhole faults: the rules compiled for the iptables variant the kernel probe chose */
  blackhole?: CompiledBlackhole;
  helperContainerId?: string;
  expiresAt: Date;
  graceMs: number;
  runId?: string | null;
  experimentIndex: number;
  /** helper clock minus worker clock, measured at prepare (sidecar only) */
  clockOffset?: ClockOffset;
}

export interface ScheduleOptions {
  applyAt: Date;
  revertAt: Date;
}

/** What the helper in the netns actually did, by its own clock. */
export interface HelperTimeline {
  state: 'idle' | 'armed' | 'applying' | 'applied' | 'reverted' | 'apply_failed' | 'skipped_expired' | 'unknown';
  plannedApplyAt?: Date;
  plannedRevertAt?: Date;
  selfExpiryAt?: Date;
  appliedAt?: Date;
  revertedAt?: Date;
  revertReason?: string;
  error?: string;
}

export interface RevertResult {
  /** "reverted": we removed it now; "already_gone": nothing of ours was left (success too). */
  outcome: 'reverted' | 'already_gone';
  at: Date;
  details?: string[];
}

/** Kernel features a network fault needs, checked in the target's netns before anything is applied. */
export type KernelFeature =
  | 'sch_netem'
  | 'sch_prio'
  | 'cls_u32'
  | 'ifb'
  | 'act_mirred'
  | 'sch_ingress'
  | 'ip_tables'
  | 'ipt_REJECT'
  | 'xt_multiport'
  | 'xt_comment';

export class KernelCapabilityError extends Error {
  constructor(
    readonly missing: KernelFeature[],
    readonly engine: string,
    detail: string,
  ) {
    super(
      `kernel of Docker engine ${engine} lacks ${missing.join(', ')}: load the module${missing.length > 1 ? 's' : ''} (modprobe ${missing.join(' ')}) or use a host whose kernel has ${missing.length > 1 ? 'them' : 'it'} (${detail})`,
    );
    this.name = 'KernelCapabilityError';
  }
}

/** Another open lease already holds the target's network namespace: one fault owner at a time. */
export class TargetBusyError extends Error {
  constructor(
    readonly containerName: string,
    readonly holder: { leaseId: string; runId: string | null } | null,
  ) {
    super(
      `${containerName} is already under a fault${holder ? ` (lease ${holder.leaseId}${holder.runId ? ` of run ${holder.runId}` : ''})` : ''}: one fault owner per network namespace at a time, nothing was applied`,
    );
    this.name = 'TargetBusyError';
  }
}

/**
 * The target's network namespace is not the one armed (the container restarted, its PID may now
 * belong to another process): nothing is run there in this lease's name.
 */
export class TargetGoneError extends Error {
  constructor(
    readonly containerName: string,
    readonly detail: string,
  ) {
    super(`${containerName}: ${detail}; nothing was applied or removed there`);
    this.name = 'TargetGoneError';
  }
}

export class FaultStepError extends Error {
  constructor(
    readonly argv: string[],
    readonly exitCode: number,
    readonly stderr: string,
    readonly rolledBack: boolean,
  ) {
    super(
      `${argv.join(' ')} failed with exit code ${exitCode}: ${stderr.trim() || '(no stderr)'}${rolledBack ? ' (partial steps rolled back)' : ''}`,
    );
    this.name = 'FaultStepError';
  }
}

/** The worker's only door to Docker for faults. */
export interface FaultDriver {
  /** The engine this driver reaches (recorded in every lease): it may only revert leases of its own engine. */
  readonly engine: string;
  resolveTargets(spec: FaultSpec, options?: { random?: () => number }): Promise<TargetResolution>;
  dryRun(spec: FaultSpec, options?: { random?: () => number }): Promise<DryRunResult>;
  /** Arms ahead of T0: probe kernel features, start the helper in the target's netns. Applies nothing. */
  prepare(spec: FaultSpec, target: ResolvedTarget, options: PrepareOptions): Promise<PreparedFault>;
  /** Applies now; the lease is recorded before the first step runs. */
  apply(prepared: PreparedFault): Promise<FaultLease>;
  /** Hands the helper the apply/revert argv with their instants; it applies at T0 and reverts at T1 by its own clock. */
  scheduleApply(prepared: PreparedFault, at: ScheduleOptions): Promise<FaultLease>;
  readTimeline(lease: FaultLease): Promise<HelperTimeline>;
  /** Throws EngineUnreachableError when the engine does not answer (that is no verdict on the fault). */
  verify(lease: FaultLease): Promise<VerifyOutcome>;
  /**
   * Idempotent: "already gone" is success; removes only what we own. Records the revert in the
   * ledger when it can, but a ledger that cannot (Postgres away) does not fail a revert that
   * happened: callers record the result themselves. Throws EngineUnreachableError when the engine
   * does not answer.
   */
  revert(lease: FaultLease, reason: string): Promise<RevertResult>;
  /** Removes a prepared helper that was never applied (or whose fault is reverted). */
  release(prepared: PreparedFault | FaultLease): Promise<void>;
  /** Whether a helper with its own clock guards this lease right now (then backstops may wait). */
  hasLiveHelper?(lease: FaultLease): Promise<boolean>;
}

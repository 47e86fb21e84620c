import type { ClockOffset } from './clock-offset';
import type { FaultSpec } from './fault.schema';
import type { FaultLease, NewFaultLease } from './fault-lease';
import type { VerifyOutcome } from './qdisc-verify';
import type { RefusedCandidate, SelectionRecord } from './target-selection';

/**
 * What a kind adds to one of the shapes below, beside their own fields and under names of its own
 * (typed and read by the kind's module; core names none): `never` when it reuses a shared name.
 */
export type KindFields<Shared, P extends object> = keyof P & keyof Shared extends never ? P : never;

/**
 * A container the fault will act on, as resolved on one Docker Engine. A kind that resolves its
 * targets itself may tell each more (a partition's side), in fields of its own beside these: its
 * TargetResolution<T> says which, and the target reaches that kind's module with them.
 */
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

export interface TargetResolution<T extends ResolvedTarget = ResolvedTarget> {
  targets: T[];
  refused: RefusedCandidate[];
  deduplicated: { id: string; name: string; sharesNetnsWith: string }[];
  selection: SelectionRecord;
}

/** What would run on one target, nothing applied. */
export interface DryRunPlan {
  target: ResolvedTarget;
  strategy: FaultLease['strategy'];
  /** How each argv is run: e.g. ["docker", "exec", "<helper>"] or ["nsenter", "-t", "PID", "-n"]. */
  runner: string[];
  apply: string[][];
  verify: string[][];
  revert: string[][];
  warnings: string[];
}

/**
 * A dry run's plan for one target and what its kind looked up beside it (P: e.g. a blackhole's
 * peers with their addresses now), at the top level as the dry-run report has always shown them.
 */
export type DryRunTarget<P extends object = object> = DryRunPlan & KindFields<DryRunPlan, P>;

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
export interface PreparedFault<A = unknown> {
  spec: FaultSpec;
  target: ResolvedTarget;
  strategy: FaultLease['strategy'];
  /**
   * What the fault's kind armed for its apply and its lease (the compiled steps, the rules for the
   * variant probed, the plan, the watchdog), typed by its module in libs/faults.
   */
  armed?: A;
  helperContainerId?: string;
  expiresAt: Date;
  graceMs: number;
  runId?: string | null;
  experimentIndex: number;
  /** helper clock minus worker clock, measured at prepare (sidecar only) */
  clockOffset?: ClockOffset;
  /**
   * Drawn at arming (16 hex digits) and handed to the helper with its plan: only the line
   * `abort <nonce>` on the helper's stdin aborts that plan (a stale or misrouted line does nothing).
   */
  abortNonce?: string;
}

export interface ScheduleOptions {
  applyAt: Date;
  revertAt: Date;
  /**
   * The helper begins the plan only if the worker's heartbeat (a line on the stdin stream it holds)
   * came within this long when it readies the apply: a step not begun does not begin once no
   * worker drives its run. Absent: the plan begins on the helper's clock alone.
   */
  heartbeatMs?: number;
}

/**
 * The heartbeat timeout of a step's plan: the worker driving the run beats every second on the
 * helper's held stdin; a helper that heard nothing for this long when it readies a step (up to 3 s
 * ahead of its start) does not begin it. Long enough for a loaded worker's event loop, short
 * enough that a step due soon after its worker died does not begin.
 */
export const STEP_HEARTBEAT_MS = 10_000;

/** The helper's revert reason for a plan it did not begin because no heartbeat came in time. */
export const NO_HEARTBEAT = 'no_heartbeat';

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
  /** a blackhole's resetEstablished: when ss -K ended, its exit code and the sockets it destroyed */
  reset?: { at?: Date; status: number; count: number };
}

export interface RevertResult {
  /** "reverted": we removed it now; "already_gone": nothing of ours was left (success too). */
  outcome: 'reverted' | 'already_gone';
  at: Date;
  details?: string[];
  /**
   * How an urgent revert (abort, guardrail) reached the fault's helper before the confirming exec:
   * a line on the stdin stream this process holds, or a signal through the Docker API (no stream
   * here: another process armed it, or the stream broke). Absent when no live helper was asked.
   */
  abortPath?: AbortPath;
  /**
   * Who took the fault out when it was not this revert: its watchdog, at its deadline (a container
   * fault; `at` is then the watchdog's instant). The ledger records it as the revert's reason.
   */
  removedBy?: 'watchdog';
  /** the helper had not begun the plan: no worker's heartbeat came in time, nothing was applied */
  notBegun?: true;
}

export type AbortPath = 'stdin' | 'signal';

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
  | 'xt_comment'
  /** a build option, not a module: socket destruction through sock_diag (`ss -K`) */
  | 'CONFIG_INET_DIAG_DESTROY';

export class KernelCapabilityError extends Error {
  constructor(
    readonly missing: KernelFeature[],
    readonly engine: string,
    detail: string,
  ) {
    const modules = missing.filter((f) => !f.startsWith('CONFIG_'));
    super(
      modules.length === missing.length
        ? `kernel of Docker engine ${engine} lacks ${missing.join(', ')}: load the module${missing.length > 1 ? 's' : ''} (modprobe ${missing.join(' ')}) or use a host whose kernel has ${missing.length > 1 ? 'them' : 'it'} (${detail})`
        : `kernel of Docker engine ${engine} lacks ${missing.join(', ')}: ${modules.length ? `load ${modules.join(' ')} and ` : ''}use a host whose kernel was built with ${missing.filter((f) => f.startsWith('CONFIG_')).join(', ')} (${detail})`,
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

/**
 * The ledger row of a prepared fault, not recorded yet: the worker records it (write-ahead) and
 * passes the recorded lease to apply/scheduleApply, which act only under a recorded lease.
 */
export type LeaseDraft = Omit<NewFaultLease, 'id'>;

/** What an apply did to the target. The driver records nothing; the worker's ledger does. */
export type ApplyOutcome =
  | { applied: true; at: Date }
  | {
      applied: false;
      error: Error;
      /**
       * What the failure left in place. `nothing`: the steps were rolled back, the engine refused the
       * action, or the target is not the one armed (`targetGone`); the lease may be closed. `unknown`
       * (a lost connection mid-exec): it stays open for the revert job and the reaper.
       */
      left: 'nothing' | 'unknown';
      targetGone: boolean;
    };

/** Whether the helper took the plan; a hand-over that failed armed nothing. */
export type HandOverOutcome = { handedOver: true } | { handedOver: false; error: Error };

/** What a revert did: the fault is out (now, or it was already), or the attempt failed and it may still be in. */
export type RevertOutcome = { reverted: true; result: RevertResult } | { reverted: false; error: Error };

/**
 * The worker's only door to Docker for faults. It acts and reports outcomes; it never writes the
 * lease ledger (the worker records every transition, and a lease before anything is applied).
 */
export interface FaultDriver {
  /** The engine this driver reaches (recorded in every lease): it may only revert leases of its own engine. */
  readonly engine: string;
  resolveTargets(spec: FaultSpec, options?: { random?: () => number }): Promise<TargetResolution>;
  dryRun(spec: FaultSpec, options?: { random?: () => number }): Promise<DryRunResult>;
  /** Arms ahead of T0: probe kernel features, start the helper in the target's netns. Applies nothing. */
  prepare(spec: FaultSpec, target: ResolvedTarget, options: PrepareOptions): Promise<PreparedFault>;
  /**
   * The lease row to record before anything is applied: for an apply now, or (with `at`) for a plan
   * handed to the helper (its instants and self-expiry are in the row). Throws for a fault whose
   * helper keeps no clock when `at` is given.
   */
  draftLease(prepared: PreparedFault, at?: ScheduleOptions): LeaseDraft;
  /** Applies now, under the recorded lease of this prepared fault (refused for any other lease). */
  apply(prepared: PreparedFault, lease: FaultLease): Promise<ApplyOutcome>;
  /** Hands the helper the apply/revert argv with their instants; it applies at T0 and reverts at T1 by its own clock. */
  scheduleApply(prepared: PreparedFault, lease: FaultLease, at: ScheduleOptions): Promise<HandOverOutcome>;
  /** The helper's own record, in the worker's clock (a fault without one: what the lease says). */
  readTimeline(lease: FaultLease): Promise<HelperTimeline>;
  /** Throws EngineUnreachableError when the engine does not answer (that is no verdict on the fault). */
  verify(lease: FaultLease): Promise<VerifyOutcome>;
  /**
   * Idempotent: "already gone" is success; removes only what we own. A failed attempt carries its
   * error (EngineUnreachableError when the engine does not answer).
   */
  revert(lease: FaultLease, reason: string): Promise<RevertOutcome>;
  /** Removes a prepared helper that was never applied (or whose fault is reverted). */
  release(prepared: PreparedFault | FaultLease): Promise<void>;
  /**
   * Whether something of the lease's own takes the fault out at its expiry right now: a helper
   * that keeps its clock, or a container fault's watchdog (then the backstops wait for it).
   */
  hasLiveHelper?(lease: FaultLease): Promise<boolean>;
  /**
   * Takes over the lease's helper from a worker that died (a resumed run): its abort line and, when
   * its plan wants one, its heartbeat go through this process from now on. False when there is no
   * helper to hold (its plan then does not begin, and an abort signals it).
   */
  adopt?(lease: FaultLease): Promise<boolean>;
}

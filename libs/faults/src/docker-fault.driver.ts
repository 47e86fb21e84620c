import type Docker from 'dockerode';
import {
  EngineUnreachableError,
  systemClock,
  type Clock,
  FaultStepError,
  TargetGoneError,
  type ApplyOutcome,
  type CompileNetworkFaultOptions,
  type DryRunResult,
  type FaultDriver,
  type FaultLease,
  type FaultSpec,
  type HandOverOutcome,
  type HelperTimeline,
  type LeaseDraft,
  type NetworkFaultSpec,
  type PreparedFault,
  type PrepareOptions,
  type ResolvedTarget,
  type RevertOutcome,
  type ScheduleOptions,
  type TargetResolution,
  type VerifyOutcome,
} from '@gameday/core';
import { isEngineUnreachable } from './engine/docker-exec';
import { FaultEngine, type FaultEngineEvent } from './engine/fault-engine';
import { HelperClient } from './engine/helper-client';
import { newAbortNonce } from './engine/helper-protocol';
import { TargetResolver } from './engine/target-resolver';
import { dryRunOf } from './dry-run-plan';
import type { FaultCapabilities } from './kinds/fault-kind';
import { faultCapabilities, faultKind } from './kinds/fault-kind.registry';
import { leaseDraft } from './lease-draft';

export type FaultDriverEvent = FaultEngineEvent;

export interface DockerFaultDriverOptions {
  /**
   * Identity recorded in every lease: the worker acts only on leases of its own engine. Use
   * DockerFaultDriver.connect, which takes the daemon's ID (`docker info`); a name such as
   * DOCKER_HOST or "local" is not unique across hosts.
   */
  engine?: string;
  /** Helper image tag; default: built from libs/faults/helper on first use (ensureHelperImage). */
  helperImage?: string;
  /** Where that image is built from; default: libs/faults/helper found from this file. */
  helperContextDir?: string;
  /** The container-fault watchdog's image tag; default: built from the same context (`watchdog` stage). */
  watchdogImage?: string;
  /**
   * The engine's unix socket on its own host, mounted into container-fault watchdogs; default:
   * the socket this client uses when local, else /var/run/docker.sock.
   */
  engineSocketPath?: string;
  /** Grace after expiresAt before the helper removes the fault by itself. */
  defaultGraceMs?: number;
  /** Seconds a helper lingers after its fault is gone before it exits on its own. */
  helperLingerSeconds?: number;
  compile?: CompileNetworkFaultOptions;
  /** Whether the engine runs on this machine (nsenter needs that); default: true for a unix socket. */
  engineIsLocal?: boolean;
  random?: () => number;
  /** instants and durations; the system clock by default */
  clock?: Clock;
  /** Metrics hook (the worker maps it to prom-client; core stays free of it). */
  onEvent?: (event: FaultDriverEvent) => void;
}

const DEFAULT_GRACE_MS = 30_000;

function inWorkerClock(t: HelperTimeline, shift: number): HelperTimeline {
  if (shift === 0) return t;
  const back = (d?: Date) => (d ? new Date(d.getTime() - shift) : undefined);
  return {
    ...t,
    plannedApplyAt: back(t.plannedApplyAt),
    plannedRevertAt: back(t.plannedRevertAt),
    selfExpiryAt: back(t.selfExpiryAt),
    appliedAt: back(t.appliedAt),
    revertedAt: back(t.revertedAt),
  };
}

/**
 * The dockerode fault driver: a dispatcher over the fault kinds (kinds/fault-kind.registry.ts) on
 * one Docker Engine. It acts, measures and reports outcomes; it never writes the lease ledger (the
 * worker records a lease before anything is applied, and every transition). What a fault does is
 * its kind's. Pass the
 * Docker client (local socket, DOCKER_HOST, or e.g. `new Docker({ host: '10.199.0.2', port: 2375 })`).
 */
export class DockerFaultDriver implements FaultDriver {
  readonly engine: string;
  private readonly targets: TargetResolver;
  private readonly core: FaultEngine;

  constructor(
    docker: Docker,
    private readonly options: DockerFaultDriverOptions,
  ) {
    this.engine = options.engine ?? 'local';
    const clock = options.clock ?? systemClock;
    this.targets = new TargetResolver(docker, this.engine, options.random);
    const helpers = new HelperClient(
      docker,
      this.engine,
      options.helperImage,
      options.helperLingerSeconds,
      options.helperContextDir,
      clock,
    );
    this.core = new FaultEngine(docker, this.engine, helpers, clock, {
      compile: options.compile,
      engineIsLocal: options.engineIsLocal,
      onEvent: options.onEvent,
      watchdog: {
        image: options.watchdogImage,
        contextDir: options.helperContextDir,
        socketPath: options.engineSocketPath,
      },
    });
  }

  /** A driver identified by the engine's daemon ID, so two hosts never take each other's leases. */
  static async connect(docker: Docker, options: DockerFaultDriverOptions): Promise<DockerFaultDriver> {
    const engine = options.engine ?? (await docker.info()).ID;
    if (!engine) throw new Error('the Docker Engine reported no daemon ID');
    return new DockerFaultDriver(docker, { ...options, engine });
  }

  /** What the worker may rely on for this fault (who keeps its clock, whether it is read back). */
  capabilities(fault: PreparedFault | FaultLease): FaultCapabilities {
    return faultCapabilities(fault);
  }

  resolveTargets(spec: FaultSpec, options: { random?: () => number } = {}): Promise<TargetResolution> {
    return this.targets.resolve(spec, options);
  }

  async dryRun(spec: FaultSpec, options: { random?: () => number } = {}): Promise<DryRunResult> {
    return dryRunOf(this.core, spec, await this.resolveTargets(spec, options));
  }

  prepare(spec: FaultSpec, target: ResolvedTarget, options: PrepareOptions): Promise<PreparedFault> {
    const base = {
      spec,
      target,
      expiresAt: options.expiresAt,
      graceMs: options.graceMs ?? this.options.defaultGraceMs ?? DEFAULT_GRACE_MS,
      runId: options.runId ?? null,
      experimentIndex: options.experimentIndex ?? 0,
      // per arming: the helper takes it with the plan, the lease keeps it for the abort line
      abortNonce: newAbortNonce(),
    };
    return faultKind(spec.kind).prepare(this.core, spec, base, options);
  }

  /** Starts a helper in the target's netns (TargetGoneError when the target is no longer the one resolved). */
  createHelper(target: ResolvedTarget): Promise<string> {
    return this.core.createHelper(target);
  }

  /**
   * Arms a helper that only watches steps applied from elsewhere (exec, nsenter): it undoes them at
   * `expireAt`, when stopped, or after a restart. Returns its container ID.
   */
  armWatchdog(
    target: ResolvedTarget,
    steps: { apply: string[][]; undo: (string[] | null)[] },
    expireAt: number,
    abortNonce?: string,
  ): Promise<string> {
    return this.core.armWatchdog(target, steps.apply, steps.undo, expireAt, abortNonce);
  }

  /** The ledger row of a prepared fault, recorded by the worker before anything is applied. */
  draftLease(prepared: PreparedFault, at?: ScheduleOptions): LeaseDraft {
    if (!at) return leaseDraft(this.engine, prepared, { plannedAt: this.core.now() });
    const kind = faultKind(prepared.spec.kind);
    if (!kind.schedule || kind.capabilities(prepared).clock !== 'helper' || !prepared.helperContainerId) {
      throw new Error(
        'scheduleApply needs a fault whose helper keeps the clock (a network fault prepared with the sidecar strategy, or a blackhole)',
      );
    }
    if (at.revertAt.getTime() <= at.applyAt.getTime()) throw new Error('revertAt must be after applyAt');
    const expiresAt = new Date(Math.max(prepared.expiresAt.getTime(), at.revertAt.getTime()));
    return leaseDraft(
      this.engine,
      { ...prepared, expiresAt },
      {
        plannedAt: at.applyAt,
        details: {
          ...kind.schedule.details(prepared, at, expiresAt.getTime() + prepared.graceMs),
          ...(at.heartbeatMs ? { heartbeatMs: at.heartbeatMs } : {}),
        },
      },
    );
  }

  async apply(prepared: PreparedFault, lease: FaultLease): Promise<ApplyOutcome> {
    this.assertRecordedFor(prepared, lease);
    const started = this.core.clock.monotonicMs();
    const kind = faultKind(prepared.spec.kind);
    try {
      const at = await kind.apply(this.core, prepared, lease);
      this.core.emit({
        type: 'apply',
        result: 'ok',
        durationMs: this.core.since(started),
        target: lease.containerName,
      });
      return { applied: true, at };
    } catch (caught) {
      const error = caught as Error;
      this.core.emit({
        type: 'apply',
        result: 'error',
        reason: error.name,
        durationMs: this.core.since(started),
        target: lease.containerName,
      });
      // Nothing is in place only when that is known: a failed step was rolled back, the target is
      // not the one armed, or the kind knows the failure left nothing (the engine refused a
      // container action). Anything else (a lost connection mid-exec) may have left the fault in.
      const targetGone = error instanceof TargetGoneError;
      const nothing = targetGone || (error instanceof FaultStepError && error.rolledBack) || kind.nothingApplied(error);
      return { applied: false, error, left: nothing ? 'nothing' : 'unknown', targetGone };
    }
  }

  async scheduleApply(prepared: PreparedFault, lease: FaultLease, at: ScheduleOptions): Promise<HandOverOutcome> {
    this.assertRecordedFor(prepared, lease);
    const kind = faultKind(prepared.spec.kind);
    if (!kind.schedule || lease.plannedAt?.getTime() !== at.applyAt.getTime())
      throw new Error('scheduleApply needs the lease drafted for this plan (draftLease(prepared, at))');
    try {
      // the helper's self-expiry is the one recorded in the lease
      await kind.schedule.handOver(this.core, prepared, at, lease.expiresAt.getTime() + prepared.graceMs);
      return { handedOver: true };
    } catch (error) {
      return { handedOver: false, error: error as Error };
    }
  }

  /** The helper's own record, in the worker's clock; the worker records what it says. */
  async readTimeline(lease: FaultLease): Promise<HelperTimeline> {
    if (this.capabilities(lease).clock !== 'helper' || !lease.helperContainerId)
      return {
        state: lease.revertedAt ? 'reverted' : lease.injectedAt ? 'applied' : 'unknown',
        appliedAt: lease.injectedAt ?? undefined,
        revertedAt: lease.revertedAt ?? undefined,
      };
    // the helper reports in its clock; the ledger and the verdict work in the worker's
    return inWorkerClock(
      await this.core.helpers.status(lease.helperContainerId),
      lease.details?.clockCorrectionMs ?? 0,
    );
  }

  async verify(lease: FaultLease): Promise<VerifyOutcome> {
    const started = this.core.clock.monotonicMs();
    const outcome = await faultKind(lease.kind)
      .verify(this.core, lease)
      .catch((err: unknown) => {
        throw isEngineUnreachable(err) ? new EngineUnreachableError(this.engine, err) : err;
      });
    this.core.emit({
      type: 'verify',
      result: outcome.ok ? 'ok' : 'error',
      durationMs: this.core.since(started),
      target: lease.containerName,
    });
    return outcome;
  }

  async revert(lease: FaultLease, reason: string): Promise<RevertOutcome> {
    const started = this.core.clock.monotonicMs();
    try {
      const result = await faultKind(lease.kind).revert(this.core, lease, reason);
      this.core.emit({
        type: 'revert',
        result: 'ok',
        reason: result.outcome,
        durationMs: this.core.since(started),
        target: lease.containerName,
        ...(result.abortPath ? { path: result.abortPath } : {}),
      });
      return { reverted: true, result };
    } catch (caught) {
      const error = (isEngineUnreachable(caught) ? new EngineUnreachableError(this.engine, caught) : caught) as Error;
      this.core.emit({
        type: 'revert',
        result: 'error',
        reason: error.name,
        durationMs: this.core.since(started),
        target: lease.containerName,
      });
      return { reverted: false, error };
    }
  }

  async hasLiveHelper(lease: FaultLease): Promise<boolean> {
    const capabilities = this.capabilities(lease);
    if (capabilities.clock !== 'helper' && !capabilities.guardedAtEnd) return false;
    return (await this.core.helperOf(lease))?.State?.Running === true;
  }

  async adopt(lease: FaultLease): Promise<boolean> {
    const nonce = lease.details?.abortNonce;
    if (this.capabilities(lease).clock !== 'helper' || !lease.helperContainerId || !nonce) return false;
    return this.core.helpers.adopt(lease.helperContainerId, nonce, !!lease.details?.heartbeatMs);
  }

  async release(prepared: PreparedFault | FaultLease): Promise<void> {
    const containerId = 'target' in prepared ? prepared.target.containerId : prepared.containerId;
    const helper = await this.core.helperOf({ helperContainerId: prepared.helperContainerId, containerId });
    if (helper) await this.core.helpers.remove(helper.Id);
    else if (prepared.helperContainerId) this.core.helpers.closeStream(prepared.helperContainerId);
  }

  /**
   * Lets go of the helpers' stdin streams this driver holds (a worker shutting down). Helpers and
   * their faults stay as they are, on their own clock; a later abort of them signals instead.
   */
  close(): void {
    this.core.helpers.closeStreams();
  }

  /** Whether an abort of this lease would take the stdin line (this process armed its helper). */
  holdsAbortStream(lease: FaultLease): boolean {
    return !!lease.helperContainerId && this.core.helpers.holdsStdin(lease.helperContainerId);
  }

  /** Write-ahead, kept structurally: nothing is applied but under the open lease recorded for this fault. */
  private assertRecordedFor(prepared: PreparedFault, lease: FaultLease): void {
    const mismatch =
      !lease.id ||
      lease.revertedAt ||
      lease.engine !== this.engine ||
      lease.kind !== prepared.spec.kind ||
      lease.containerId !== prepared.target.containerId ||
      (lease.runId ?? null) !== (prepared.runId ?? null) ||
      lease.experimentIndex !== prepared.experimentIndex;
    if (mismatch)
      throw new Error(
        `refused to apply on ${prepared.target.containerName}: the lease given (${lease.id || 'none'}) is not the open lease recorded for this fault`,
      );
  }
}

export type { NetworkFaultSpec };

import type Docker from 'dockerode';
import {
  EngineUnreachableError,
  FaultStepError,
  TargetGoneError,
  type CompileNetworkFaultOptions,
  type DryRunResult,
  type FaultDriver,
  type FaultLease,
  type FaultSpec,
  type HelperTimeline,
  type LeaseRepository,
  type NetworkFaultSpec,
  type PreparedFault,
  type PrepareOptions,
  type ResolvedTarget,
  type RevertResult,
  type ScheduleOptions,
  type TargetResolution,
  type VerifyOutcome,
} from '@gameday/core';
import { isEngineUnreachable } from './engine/docker-exec';
import { FaultEngine, type FaultEngineEvent } from './engine/fault-engine';
import { HelperClient } from './engine/helper-client';
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
  leases: LeaseRepository;
  /** Helper image tag; default: built from libs/faults/helper on first use (ensureHelperImage). */
  helperImage?: string;
  /** Where that image is built from; default: libs/faults/helper found from this file. */
  helperContextDir?: string;
  /** Grace after expiresAt before the helper removes the fault by itself. */
  defaultGraceMs?: number;
  /** Seconds a helper lingers after its fault is gone before it exits on its own. */
  helperLingerSeconds?: number;
  compile?: CompileNetworkFaultOptions;
  /** Whether the engine runs on this machine (nsenter needs that); default: true for a unix socket. */
  engineIsLocal?: boolean;
  random?: () => number;
  now?: () => Date;
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
 * one Docker Engine. It writes the ledger and measures; what a fault does is its kind's. Pass the
 * Docker client (local socket, DOCKER_HOST, or e.g. `new Docker({ host: '10.199.0.2', port: 2375 })`).
 */
export class DockerFaultDriver implements FaultDriver {
  readonly engine: string;
  private readonly now: () => Date;
  private readonly targets: TargetResolver;
  private readonly core: FaultEngine;

  constructor(
    docker: Docker,
    private readonly options: DockerFaultDriverOptions,
  ) {
    this.engine = options.engine ?? 'local';
    this.now = options.now ?? (() => new Date());
    this.targets = new TargetResolver(docker, this.engine, options.random);
    const helpers = new HelperClient(
      docker,
      this.engine,
      options.helperImage,
      options.helperLingerSeconds,
      options.helperContextDir,
    );
    this.core = new FaultEngine(docker, this.engine, helpers, this.now, {
      compile: options.compile,
      engineIsLocal: options.engineIsLocal,
      onEvent: options.onEvent,
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
  ): Promise<string> {
    return this.core.armWatchdog(target, steps.apply, steps.undo, expireAt);
  }

  async apply(prepared: PreparedFault): Promise<FaultLease> {
    const started = Date.now();
    const kind = faultKind(prepared.spec.kind);
    // The ledger row exists before anything touches the target: a crash from here on is reaped.
    const lease = await this.options.leases.record(leaseDraft(this.engine, prepared, { plannedAt: this.now() }));
    try {
      const injectedAt = await kind.apply(this.core, prepared, lease);
      await this.options.leases.markInjected(lease.id, injectedAt);
      this.core.emit({ type: 'apply', result: 'ok', durationMs: Date.now() - started, target: lease.containerName });
      return { ...lease, injectedAt };
    } catch (err) {
      await this.options.leases.recordRevertFailure(lease.id, (err as Error).message).catch(() => undefined);
      // Close the lease only when we know nothing is applied: a failed step was rolled back, or
      // the kind knows the failure left nothing (the engine refused a container action). Anything
      // else (a lost connection mid-exec) stays open for the revert job and the reaper, whose
      // revert is idempotent.
      if (err instanceof TargetGoneError)
        await this.options.leases.markReverted(lease.id, this.now(), 'target_gone').catch(() => undefined);
      if ((err instanceof FaultStepError && err.rolledBack) || kind.nothingApplied(err))
        await this.options.leases.markReverted(lease.id, this.now(), 'apply_failed').catch(() => undefined);
      this.core.emit({
        type: 'apply',
        result: 'error',
        reason: (err as Error).name,
        durationMs: Date.now() - started,
        target: lease.containerName,
      });
      throw err;
    }
  }

  async scheduleApply(prepared: PreparedFault, at: ScheduleOptions): Promise<FaultLease> {
    const kind = faultKind(prepared.spec.kind);
    if (!kind.schedule || kind.capabilities(prepared).clock !== 'helper' || !prepared.helperContainerId) {
      throw new Error(
        'scheduleApply needs a fault whose helper keeps the clock (a network fault prepared with the sidecar strategy)',
      );
    }
    if (at.revertAt.getTime() <= at.applyAt.getTime()) throw new Error('revertAt must be after applyAt');
    const expiresAt = new Date(Math.max(prepared.expiresAt.getTime(), at.revertAt.getTime()));
    const expireAt = expiresAt.getTime() + prepared.graceMs;
    const lease = await this.options.leases.record(
      leaseDraft(
        this.engine,
        { ...prepared, expiresAt },
        { plannedAt: at.applyAt, details: kind.schedule.details(prepared, at, expireAt) },
      ),
    );
    try {
      await kind.schedule.handOver(this.core, prepared, at, expireAt);
    } catch (err) {
      await this.options.leases.markReverted(lease.id, this.now(), 'schedule_failed');
      throw err;
    }
    return lease;
  }

  /** Reads the helper's own record; updates the lease with the actual apply/revert instants. */
  async readTimeline(lease: FaultLease): Promise<HelperTimeline> {
    if (this.capabilities(lease).clock !== 'helper' || !lease.helperContainerId)
      return {
        state: lease.revertedAt ? 'reverted' : lease.injectedAt ? 'applied' : 'unknown',
        appliedAt: lease.injectedAt ?? undefined,
        revertedAt: lease.revertedAt ?? undefined,
      };
    // the helper reports in its clock; the ledger and the verdict work in the worker's
    const timeline = inWorkerClock(
      await this.core.helpers.status(lease.helperContainerId),
      lease.details?.clockCorrectionMs ?? 0,
    );
    const state = timeline.state;
    if (timeline.appliedAt && !lease.injectedAt) await this.options.leases.markInjected(lease.id, timeline.appliedAt);
    if (timeline.revertedAt && !lease.revertedAt)
      await this.options.leases.markReverted(
        lease.id,
        timeline.revertedAt,
        `helper_${timeline.revertReason ?? 'reverted'}`,
      );
    if ((state === 'apply_failed' || state === 'skipped_expired') && !lease.revertedAt)
      await this.options.leases.markReverted(lease.id, this.now(), state);
    return timeline;
  }

  async verify(lease: FaultLease): Promise<VerifyOutcome> {
    const started = Date.now();
    const outcome = await faultKind(lease.kind)
      .verify(this.core, lease)
      .catch((err: unknown) => {
        throw isEngineUnreachable(err) ? new EngineUnreachableError(this.engine, err) : err;
      });
    this.core.emit({
      type: 'verify',
      result: outcome.ok ? 'ok' : 'error',
      durationMs: Date.now() - started,
      target: lease.containerName,
    });
    return outcome;
  }

  async revert(lease: FaultLease, reason: string): Promise<RevertResult> {
    const started = Date.now();
    try {
      const result = await faultKind(lease.kind).revert(this.core, lease, reason);
      // the fault is out: a ledger that cannot record it now (Postgres away) must not turn that into
      // a failed revert, or the caller loses the instant; every caller records it again
      await this.options.leases.markReverted(lease.id, result.at, reason).catch(() => undefined);
      this.core.emit({
        type: 'revert',
        result: 'ok',
        reason: result.outcome,
        durationMs: Date.now() - started,
        target: lease.containerName,
      });
      return result;
    } catch (caught) {
      const err = isEngineUnreachable(caught) ? new EngineUnreachableError(this.engine, caught) : caught;
      await this.options.leases.recordRevertFailure(lease.id, (err as Error).message).catch(() => undefined);
      this.core.emit({
        type: 'revert',
        result: 'error',
        reason: (err as Error).name,
        durationMs: Date.now() - started,
        target: lease.containerName,
      });
      throw err;
    }
  }

  async hasLiveHelper(lease: FaultLease): Promise<boolean> {
    if (this.capabilities(lease).clock !== 'helper') return false;
    return (await this.core.helperOf(lease))?.State?.Running === true;
  }

  async release(prepared: PreparedFault | FaultLease): Promise<void> {
    const containerId = 'target' in prepared ? prepared.target.containerId : prepared.containerId;
    const helper = await this.core.helperOf({ helperContainerId: prepared.helperContainerId, containerId });
    if (helper) await this.core.helpers.remove(helper.Id);
  }
}

export type { NetworkFaultSpec };

import type Docker from 'dockerode';
import {
  assertLedgerArgv,
  clockOffset,
  ClockOffsetError,
  clockOffsetTooLarge,
  EngineUnreachableError,
  compileNetworkFault,
  rollbackSteps,
  verifyQdiscs,
  verifyReverted,
  FaultStepError,
  TargetGoneError,
  type ClockOffset,
  type CompiledNetworkFault,
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
import { probeKernel } from './capability-probe';
import { inspectOrNull, isEngineUnreachable } from './docker-exec';
import { ContainerFaults } from './container-faults';
import { dryRunOf } from './dry-run-plan';
import { leaseDraft } from './lease-draft';
import { HELPER_ROLE_LABEL, HELPER_TARGET_LABEL, HelperClient } from './helper-client';
import { msDate, parseKeyValues } from './helper-protocol';
import { netnsChange, netnsNow, pinArmedNetns, type ArmedNetns, type PinnedNetns } from './netns-identity';
import { TargetResolver } from './target-resolver';
import { HelperRunner, NsenterRunner, TargetExecRunner, type StepRunner } from './step-runner';

export interface FaultDriverEvent {
  type: 'apply' | 'revert' | 'verify' | 'probe';
  result: 'ok' | 'error';
  reason?: string;
  durationMs: number;
  target?: string;
}

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

/** Reasons that end a fault before its time: the helper gets a signal, not only an exec. */
const URGENT_REASONS: ReadonlySet<string> = new Set(['abort', 'guardrail']);

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
 * The dockerode fault driver. One instance per Docker Engine: pass the Docker client (local socket,
 * DOCKER_HOST, or e.g. `new Docker({ host: '10.199.0.2', port: 2375 })`).
 */
export class DockerFaultDriver implements FaultDriver {
  readonly engine: string;
  private readonly now: () => Date;
  private readonly targets: TargetResolver;
  private readonly helpers: HelperClient;
  private readonly containers: ContainerFaults;

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerFaultDriverOptions,
  ) {
    this.engine = options.engine ?? process.env.DOCKER_HOST ?? 'local';
    this.now = options.now ?? (() => new Date());
    this.targets = new TargetResolver(docker, this.engine, options.random);
    this.helpers = new HelperClient(docker, this.engine, options.helperImage, options.helperLingerSeconds);
    this.containers = new ContainerFaults(docker, this.now);
  }

  /** A driver identified by the engine's daemon ID, so two hosts never take each other's leases. */
  static async connect(docker: Docker, options: DockerFaultDriverOptions): Promise<DockerFaultDriver> {
    const engine = options.engine ?? (await docker.info()).ID;
    if (!engine) throw new Error('the Docker Engine reported no daemon ID');
    return new DockerFaultDriver(docker, { ...options, engine });
  }

  // ---------------------------------------------------------------- targets

  resolveTargets(spec: FaultSpec, options: { random?: () => number } = {}): Promise<TargetResolution> {
    return this.targets.resolve(spec, options);
  }

  // ---------------------------------------------------------------- dry run

  async dryRun(spec: FaultSpec, options: { random?: () => number } = {}): Promise<DryRunResult> {
    return dryRunOf(spec, await this.resolveTargets(spec, options), this.options.compile);
  }

  // ---------------------------------------------------------------- prepare

  async prepare(spec: FaultSpec, target: ResolvedTarget, options: PrepareOptions): Promise<PreparedFault> {
    const base = {
      spec,
      target,
      expiresAt: options.expiresAt,
      graceMs: options.graceMs ?? this.options.defaultGraceMs ?? DEFAULT_GRACE_MS,
      runId: options.runId ?? null,
      experimentIndex: options.experimentIndex ?? 0,
    };
    if (spec.kind === 'container') return { ...base, strategy: 'docker' };
    const compiled = compileNetworkFault(spec, this.options.compile);
    const needs = { prio: compiled.apply.some((a) => a.includes('prio')), ingress: compiled.direction === 'ingress' };
    const started = Date.now();
    if (spec.strategy === 'sidecar') {
      const helperId = await this.createHelper(target);
      let offset: ClockOffset;
      try {
        await probeKernel(new HelperRunner(this.docker, helperId), needs, this.engine);
        // the readiness check's read: on a slow engine every exec costs up to seconds of arming
        const first = await this.helpers.readClock(helperId, 1);
        offset = clockOffset(first);
        // a slow read (busy engine) is retried once before anything is judged from it; where every
        // exec is slow, more reads would not narrow it and only make arming longer
        if (offset.uncertaintyMs > 100)
          offset = clockOffset([...first, ...(await this.helpers.readClock(helperId, 1))]);
        if (options.maxClockOffsetMs !== undefined && clockOffsetTooLarge(offset, options.maxClockOffsetMs))
          throw new ClockOffsetError(this.engine, offset, options.maxClockOffsetMs);
      } catch (err) {
        await this.helpers.remove(helperId);
        this.emit({
          type: 'probe',
          result: 'error',
          reason: (err as Error).name,
          durationMs: Date.now() - started,
          target: target.containerName,
        });
        throw err;
      }
      this.emit({ type: 'probe', result: 'ok', durationMs: Date.now() - started, target: target.containerName });
      return { ...base, strategy: 'sidecar', compiled, helperContainerId: helperId, clockOffset: offset };
    }
    // in the netns resolved (never by the PID seen then: it may be another process's by now); nsenter
    // records the one it probed, and apply and revert later enter only that one
    const netnsInode = await this.inArmedNetns(spec.strategy, target, async (runner, pinned) => {
      await probeKernel(runner, needs, this.engine);
      return pinned?.inode;
    });
    this.emit({ type: 'probe', result: 'ok', durationMs: Date.now() - started, target: target.containerName });
    const armed = netnsInode ? { ...target, netnsInode } : target;
    const watchdog = await this.armWatchdog(armed, compiled, base.expiresAt.getTime() + base.graceMs);
    return { ...base, target: armed, strategy: spec.strategy, compiled, helperContainerId: watchdog };
  }

  /**
   * exec and nsenter apply from the worker, so without help their fault would depend on the
   * worker, Redis and Postgres to be removed. A helper in the target's netns guards it like the
   * sidecar's: it undoes the steps at expiry + grace, when stopped, or after a restart, with nobody
   * else involved. Armed before anything is applied, so the fault is never unguarded. Returns the
   * helper's container ID (prepare records it as the prepared fault's helper).
   */
  async armWatchdog(target: ResolvedTarget, compiled: CompiledNetworkFault, expireAt: number): Promise<string> {
    const helperId = await this.createHelper(target);
    try {
      const r = await this.helpers.watch(helperId, expireAt, compiled.apply, compiled.undo);
      if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'watch'], r.exitCode, r.stderr, false);
      return helperId;
    } catch (err) {
      await this.helpers.remove(helperId);
      throw err;
    }
  }

  /**
   * Starts the helper in the target's netns (NET_ADMIN only) and waits until it can exec. It joins
   * whatever netns the target has when it starts: the target's sandbox, unchanged after that, shows
   * it was the one resolved (TargetGoneError otherwise, and the helper is removed again).
   */
  async createHelper(target: ResolvedTarget): Promise<string> {
    const helperId = await this.helpers.create(target);
    try {
      await this.assertArmedNetns(target);
    } catch (err) {
      await this.helpers.remove(helperId);
      throw err;
    }
    return helperId;
  }

  /**
   * Runs `use` in the target's netns as armed (TargetGoneError when the target restarted since):
   * exec through the target itself, nsenter through the namespace held open for the whole call, so
   * that every step enters the namespace checked even if the PID it was found by is reused meanwhile.
   */
  private async inArmedNetns<T>(
    strategy: FaultLease['strategy'],
    armed: ArmedNetns,
    use: (runner: StepRunner, pinned?: PinnedNetns) => Promise<T>,
    inspected?: Docker.ContainerInspectInfo | null,
  ): Promise<T> {
    if (strategy === 'exec') {
      await this.assertArmedNetns(armed, inspected);
      return use(new TargetExecRunner(this.docker, armed.containerId));
    }
    if (strategy !== 'nsenter') throw new Error(`no tc runner in the target for strategy ${strategy}`);
    const local = this.options.engineIsLocal ?? Boolean((this.docker.modem as { socketPath?: unknown }).socketPath);
    if (!local)
      throw new Error(
        `the nsenter strategy needs the worker on the Docker host (engine ${this.engine} is remote): use sidecar`,
      );
    const pinned = await pinArmedNetns(this.docker, armed, inspected);
    try {
      return await use(new NsenterRunner(pinned), pinned);
    } finally {
      await pinned.close();
    }
  }

  // ---------------------------------------------------------------- apply

  async apply(prepared: PreparedFault): Promise<FaultLease> {
    const started = Date.now();
    // The ledger row exists before anything touches the target: a crash from here on is reaped.
    const lease = await this.options.leases.record(leaseDraft(this.engine, prepared, { plannedAt: this.now() }));
    try {
      let injectedAt: Date;
      if (prepared.spec.kind === 'container')
        injectedAt = await this.containers.apply(prepared.spec, prepared.target.containerId);
      else if (prepared.strategy === 'sidecar') {
        await this.assertArmedNetns(lease);
        injectedAt = await this.applyViaHelper(prepared);
      } else
        injectedAt = await this.inArmedNetns(prepared.strategy, lease, (runner) => this.applyDirect(prepared, runner));
      await this.options.leases.markInjected(lease.id, injectedAt);
      this.emit({
        type: 'apply',
        result: 'ok',
        durationMs: Date.now() - started,
        target: prepared.target.containerName,
      });
      return { ...lease, injectedAt };
    } catch (err) {
      await this.options.leases.recordRevertFailure(lease.id, (err as Error).message).catch(() => undefined);
      // Close the lease only when we know nothing is applied: a failed step was rolled back, or
      // the engine refused the container action. Anything else (a lost connection mid-exec) stays
      // open for the revert job and the reaper, whose revert is idempotent.
      if (err instanceof TargetGoneError)
        await this.options.leases.markReverted(lease.id, this.now(), 'target_gone').catch(() => undefined);
      const nothingApplied =
        (err instanceof FaultStepError && err.rolledBack) ||
        (prepared.spec.kind === 'container' && typeof (err as { statusCode?: unknown }).statusCode === 'number');
      if (nothingApplied)
        await this.options.leases.markReverted(lease.id, this.now(), 'apply_failed').catch(() => undefined);
      this.emit({
        type: 'apply',
        result: 'error',
        reason: (err as Error).name,
        durationMs: Date.now() - started,
        target: prepared.target.containerName,
      });
      throw err;
    }
  }

  /** TargetGoneError when the target is no longer in the netns armed (it restarted since). */
  private async assertArmedNetns(armed: ArmedNetns, inspected?: Docker.ContainerInspectInfo | null): Promise<void> {
    const change = netnsChange(armed, await netnsNow(this.docker, armed.containerId, inspected));
    if (change) throw new TargetGoneError(armed.containerName, change);
  }

  private async applyViaHelper(prepared: PreparedFault): Promise<Date> {
    const compiled = prepared.compiled!;
    const shift = prepared.clockOffset?.correctionMs ?? 0;
    const expireAt = prepared.expiresAt.getTime() + prepared.graceMs + shift;
    const r = await this.helpers.applyNow(prepared.helperContainerId!, expireAt, compiled.apply, compiled.undo);
    if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'apply'], r.exitCode, r.stderr, true);
    const applied = msDate(parseKeyValues(r.stdout).applied_at);
    return applied ? new Date(applied.getTime() - shift) : this.now();
  }

  private async applyDirect(prepared: PreparedFault, runner: StepRunner): Promise<Date> {
    const compiled = prepared.compiled!;
    for (let i = 0; i < compiled.apply.length; i++) {
      const r = await runner.run(compiled.apply[i]);
      if (r.exitCode !== 0) {
        for (const undo of rollbackSteps(compiled.undo, i)) await runner.run(undo).catch(() => undefined);
        throw new FaultStepError([...runner.prefix, ...compiled.apply[i]], r.exitCode, r.stderr, true);
      }
    }
    return this.now();
  }

  async scheduleApply(prepared: PreparedFault, at: ScheduleOptions): Promise<FaultLease> {
    if (prepared.spec.kind !== 'network' || prepared.strategy !== 'sidecar' || !prepared.helperContainerId) {
      throw new Error(
        'scheduleApply needs a network fault prepared with the sidecar strategy (the helper keeps the clock)',
      );
    }
    if (at.revertAt.getTime() <= at.applyAt.getTime()) throw new Error('revertAt must be after applyAt');
    const compiled = prepared.compiled!;
    const expiresAt = new Date(Math.max(prepared.expiresAt.getTime(), at.revertAt.getTime()));
    const expireAt = expiresAt.getTime() + prepared.graceMs;
    // instants handed to the helper are in its clock
    const shift = prepared.clockOffset?.correctionMs ?? 0;
    const lease = await this.options.leases.record(
      leaseDraft(
        this.engine,
        { ...prepared, expiresAt },
        {
          plannedAt: at.applyAt,
          details: {
            expected: compiled.expected,
            warnings: compiled.warnings,
            applyAt: at.applyAt.toISOString(),
            revertAt: at.revertAt.toISOString(),
            selfExpiryAt: new Date(expireAt).toISOString(),
            clockCorrectionMs: shift,
          },
        },
      ),
    );
    const r = await this.helpers.schedule(
      prepared.helperContainerId,
      at.applyAt.getTime() + shift,
      at.revertAt.getTime() + shift,
      expireAt + shift,
      compiled.apply,
      compiled.undo,
    );
    if (r.exitCode !== 0) {
      await this.options.leases.markReverted(lease.id, this.now(), 'schedule_failed');
      throw new FaultStepError(['gameday-helper', 'schedule'], r.exitCode, r.stderr, false);
    }
    return lease;
  }

  /** Reads the helper's own record; updates the lease with the actual apply/revert instants. */
  async readTimeline(lease: FaultLease): Promise<HelperTimeline> {
    if (lease.strategy !== 'sidecar' || !lease.helperContainerId)
      return {
        state: lease.revertedAt ? 'reverted' : lease.injectedAt ? 'applied' : 'unknown',
        appliedAt: lease.injectedAt ?? undefined,
        revertedAt: lease.revertedAt ?? undefined,
      };
    // the helper reports in its clock; the ledger and the verdict work in the worker's
    const timeline = inWorkerClock(
      await this.helpers.status(lease.helperContainerId),
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

  // ---------------------------------------------------------------- verify

  async verify(lease: FaultLease): Promise<VerifyOutcome> {
    const started = Date.now();
    const outcome = await (
      lease.kind === 'container' ? this.containers.verify(lease) : this.verifyNetwork(lease, 'applied')
    ).catch((err: unknown) => {
      throw isEngineUnreachable(err) ? new EngineUnreachableError(this.engine, err) : err;
    });
    this.emit({
      type: 'verify',
      result: outcome.ok ? 'ok' : 'error',
      durationMs: Date.now() - started,
      target: lease.containerName,
    });
    return outcome;
  }

  private async readQdiscs(lease: FaultLease, runner: StepRunner): Promise<string[]> {
    const outputs: string[] = [];
    for (const argv of lease.verifyArgv ?? []) {
      assertLedgerArgv(argv, 'verify');
      const r = await runner.run(argv);
      if (r.exitCode === 0) outputs.push(r.stdout);
      // A vanished device (our IFB after revert) or a filter parent that is gone: nothing of ours there.
      else if (/Cannot find device|does not exist/i.test(r.stderr) || argv[2] === 'filter') outputs.push('[]');
      else throw new FaultStepError(argv, r.exitCode, r.stderr, false);
    }
    return outputs;
  }

  private async verifyNetwork(
    lease: FaultLease,
    want: 'applied' | 'reverted',
    runner?: StepRunner,
  ): Promise<VerifyOutcome> {
    const expected = lease.details?.expected;
    if (!expected) return { ok: false, reasons: ['lease has no expected tree'] };
    const info = await inspectOrNull(this.docker, lease.containerId);
    if (!info?.State?.Running)
      return want === 'reverted'
        ? { ok: true }
        : { ok: false, reasons: [`target ${lease.containerName} is not running`] };
    let outputs: string[];
    if (runner) outputs = await this.readQdiscs(lease, runner);
    else if (lease.strategy === 'sidecar') outputs = await this.readQdiscs(lease, await this.helperRunner(lease));
    else {
      try {
        outputs = await this.inArmedNetns(lease.strategy, lease, (r) => this.readQdiscs(lease, r), info);
      } catch (err) {
        if (!(err instanceof TargetGoneError)) throw err;
        return { ok: false, reasons: [`target_gone: ${err.detail}`] };
      }
    }
    return want === 'applied' ? verifyQdiscs(expected, outputs) : verifyReverted(expected, outputs);
  }

  // ---------------------------------------------------------------- revert

  async revert(lease: FaultLease, reason: string): Promise<RevertResult> {
    const started = Date.now();
    try {
      const result =
        lease.kind === 'container' ? await this.containers.revert(lease) : await this.revertNetwork(lease, reason);
      // the fault is out: a ledger that cannot record it now (Postgres away) must not turn that into
      // a failed revert, or the caller loses the instant; every caller records it again
      await this.options.leases.markReverted(lease.id, result.at, reason).catch(() => undefined);
      this.emit({
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
      this.emit({
        type: 'revert',
        result: 'error',
        reason: (err as Error).name,
        durationMs: Date.now() - started,
        target: lease.containerName,
      });
      throw err;
    }
  }

  private async revertNetwork(lease: FaultLease, reason: string): Promise<RevertResult> {
    // the sidecar that applied it, or the watchdog of an exec/nsenter fault: either holds the record
    const helper = await this.helperOf(lease);
    // An abort reaches the helper first, as a signal through the Docker API: it writes the undo it
    // holds ready (no process created in the target's netns, no exec). What follows confirms, and
    // reverts by itself if the signal did not.
    const signalled =
      URGENT_REASONS.has(reason) &&
      !!helper &&
      (await this.docker
        .getContainer(helper.Id)
        .kill({ signal: 'SIGUSR2' })
        .then(
          () => true,
          () => false,
        ));
    const info = await inspectOrNull(this.docker, lease.containerId);
    // The qdiscs lived in the target's netns: a stopped or removed target took them along.
    if (!info?.State?.Running)
      return {
        outcome: 'already_gone',
        at: this.now(),
        details: [`target ${lease.containerName} is not running: its network namespace is gone`],
      };
    if (helper?.State?.Running) {
      const runner = new HelperRunner(this.docker, helper.Id);
      const r = await runner.run([
        'gameday-helper',
        'revert',
        reason.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 40) || 'manual',
      ]);
      if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'revert'], r.exitCode, r.stderr, false);
      const kv = parseKeyValues(r.stdout);
      const bySignal = signalled && kv.was === 'reverted' && kv.revert_reason === 'signal';
      // when the helper had reverted already (its clock, or the signal just now), the fault left
      // the kernel at the helper's instant (in its clock), not when somebody came to look
      const at =
        kv.was === 'reverted' && /^[1-9]\d*$/.test(kv.reverted_at ?? '')
          ? new Date(Number(kv.reverted_at) - (lease.details?.clockCorrectionMs ?? 0))
          : this.now();
      await this.confirmReverted(lease, runner);
      const outcome = !bySignal && (kv.was !== 'applied' || kv.undone === '0') ? 'already_gone' : 'reverted';
      return { outcome, at, details: [] };
    }
    // No live helper (removed, or the reaper after a crash): run the revert argv directly; each
    // deletes only our handle and kind, so a failure means "already gone". Never in a netns that is
    // not the lease's: a restarted target's new one may hold another run's fault.
    // Ledger rows are data: nothing but our own delete commands is run from them, as root.
    for (const argv of lease.revertArgv) assertLedgerArgv(argv, 'revert');
    const undo = async (runner: StepRunner): Promise<RevertResult> => {
      const details: string[] = [];
      for (const argv of lease.revertArgv) {
        const r = await runner.run(argv);
        if (r.exitCode !== 0) details.push(`${argv.join(' ')}: ${r.stderr.trim()}`);
      }
      // the fault left the kernel when the last delete returned, not after the check and cleanup
      const at = this.now();
      await this.confirmReverted(lease, runner);
      return { outcome: details.length === lease.revertArgv.length ? 'already_gone' : 'reverted', at, details };
    };
    try {
      if (lease.strategy !== 'sidecar') return await this.inArmedNetns(lease.strategy, lease, undo, info);
      // the target was inspected just above: its netns is judged from that, not a second request
      await this.assertArmedNetns(lease, info);
      const tempHelper = await this.createHelper(this.targetOf(lease));
      try {
        return await undo(new HelperRunner(this.docker, tempHelper));
      } finally {
        await this.helpers.remove(tempHelper);
      }
    } catch (err) {
      if (!(err instanceof TargetGoneError)) throw err;
      return { outcome: 'already_gone', at: this.now(), details: [`target_gone: ${err.detail}`] };
    }
  }

  /** Throws unless none of our qdiscs (nor our IFB) is left, read through the runner that reverted. */
  private async confirmReverted(lease: FaultLease, runner: StepRunner): Promise<void> {
    const check = await this.verifyNetwork(lease, 'reverted', runner);
    if (!check.ok)
      throw new Error(`revert of ${lease.containerName} left our qdiscs behind: ${check.reasons.join('; ')}`);
  }

  private targetOf(lease: FaultLease): ResolvedTarget {
    return {
      engine: lease.engine,
      containerId: lease.containerId,
      containerName: lease.containerName,
      netnsId: lease.netnsId ?? '',
      labels: {},
    };
  }

  async hasLiveHelper(lease: FaultLease): Promise<boolean> {
    if (lease.strategy !== 'sidecar') return false;
    return (await this.helperOf(lease))?.State?.Running === true;
  }

  async release(prepared: PreparedFault | FaultLease): Promise<void> {
    const containerId = 'target' in prepared ? prepared.target.containerId : prepared.containerId;
    const helper = await this.helperOf({ helperContainerId: prepared.helperContainerId, containerId });
    if (helper) await this.helpers.remove(helper.Id);
  }

  /**
   * The helper a lease names, if GameDay started it as the helper of that very target; null
   * otherwise. A row changed in Postgres may name any container, and a helper is signalled, exec'd
   * into and removed.
   */
  private async helperOf(
    lease: Pick<FaultLease, 'helperContainerId' | 'containerId'>,
  ): Promise<Docker.ContainerInspectInfo | null> {
    if (!lease.helperContainerId) return null;
    const info = await inspectOrNull(this.docker, lease.helperContainerId);
    const labels = info?.Config?.Labels ?? {};
    return labels[HELPER_ROLE_LABEL] === 'helper' && labels[HELPER_TARGET_LABEL] === lease.containerId ? info : null;
  }

  // ---------------------------------------------------------------- plumbing

  private async helperRunner(lease: FaultLease): Promise<StepRunner> {
    const helper = await this.helperOf(lease);
    if (!helper?.State?.Running) throw new Error(`helper of ${lease.containerName} is not running`);
    return new HelperRunner(this.docker, helper.Id);
  }

  private emit(event: FaultDriverEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // metrics must never break fault handling
    }
  }
}

export type { NetworkFaultSpec };

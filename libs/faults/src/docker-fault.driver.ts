import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import {
  compileNetworkFault,
  rollbackSteps,
  selectTargetsOrThrow,
  verifyQdiscs,
  verifyReverted,
  FaultStepError,
  type CompileNetworkFaultOptions,
  type ContainerCandidate,
  type ContainerFaultSpec,
  type DryRunResult,
  type DryRunTarget,
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
import { execInContainer, isNotFound, isNotModified } from './docker-exec';
import { ensureHelperImage } from './helper-image';
import { HelperRunner, NsenterRunner, TargetExecRunner, type StepRunner } from './step-runner';

export interface FaultDriverEvent {
  type: 'apply' | 'revert' | 'verify' | 'probe';
  result: 'ok' | 'error';
  reason?: string;
  durationMs: number;
  target?: string;
}

export interface DockerFaultDriverOptions {
  /** Name recorded in leases for this engine (e.g. the DOCKER_HOST value); default DOCKER_HOST or "local". */
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

const HELPER_ROLE_LABEL = 'gameday.role';
const HELPER_TARGET_LABEL = 'gameday.target';
const DEFAULT_GRACE_MS = 30_000;

/** Encodes steps for `gameday-helper apply|schedule`: COUNT, then N words… M undo-words… per step. */
export function encodeHelperSteps(apply: string[][], undo: (string[] | null)[]): string[] {
  const out = [String(apply.length)];
  apply.forEach((argv, i) => {
    const u = undo[i] ?? [];
    for (const w of [...argv, ...u]) {
      // One word per line in the helper's state files: a newline would split a word.
      if (w.includes('\n') || w.includes('\0'))
        throw new Error(`argv word ${JSON.stringify(w)} contains a newline or NUL`);
    }
    out.push(String(argv.length), ...argv, String(u.length), ...u);
  });
  return out;
}

function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

function msDate(v: string | undefined): Date | undefined {
  if (!v || !/^\d+$/.test(v) || v === '0') return undefined;
  return new Date(Number(v));
}

function shortName(name: string): string {
  return name.replace(/^\//, '');
}

/**
 * The dockerode fault driver. One instance per Docker Engine: pass the Docker client (local socket,
 * DOCKER_HOST, or e.g. `new Docker({ host: '10.199.0.2', port: 2375 })`).
 */
export class DockerFaultDriver implements FaultDriver {
  readonly engine: string;
  private helperImage?: string;
  private readonly now: () => Date;

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerFaultDriverOptions,
  ) {
    this.engine = options.engine ?? process.env.DOCKER_HOST ?? 'local';
    this.helperImage = options.helperImage;
    this.now = options.now ?? (() => new Date());
  }

  // ---------------------------------------------------------------- targets

  async resolveTargets(spec: FaultSpec, options: { random?: () => number } = {}): Promise<TargetResolution> {
    const t = spec.target;
    const filters: Record<string, string[]> = {};
    if (t.container !== undefined) filters.name = [t.container];
    if (t.compose !== undefined)
      filters.label = [
        `com.docker.compose.project=${t.compose.project}`,
        ...(t.compose.service ? [`com.docker.compose.service=${t.compose.service}`] : []),
      ];
    if (t.labels !== undefined) filters.label = Object.entries(t.labels).map(([k, v]) => `${k}=${v}`);
    const listed = await this.docker.listContainers({ all: true, filters });
    const candidates: ContainerCandidate[] = [];
    for (const summary of listed) {
      try {
        candidates.push(await this.candidate(summary.Id));
      } catch (err) {
        if (!isNotFound(err)) throw err; // removed between list and inspect
      }
    }
    const selection = selectTargetsOrThrow(candidates, t, options.random ?? this.options.random ?? Math.random, {
      dedupeNetns: spec.kind === 'network',
    });
    return {
      targets: selection.selected.map((c) => ({
        engine: this.engine,
        containerId: c.id,
        containerName: c.name,
        netnsId: c.netnsKey,
        pid: c.pid,
        labels: c.labels,
      })),
      refused: selection.refused,
      deduplicated: selection.deduplicated,
      selection: selection.record,
    };
  }

  private async candidate(id: string): Promise<ContainerCandidate> {
    const info = await this.docker.getContainer(id).inspect();
    const mode = info.HostConfig?.NetworkMode ?? 'default';
    let netnsKey = info.NetworkSettings?.SandboxKey || `container:${info.Id}`;
    if (mode.startsWith('container:')) {
      // Joined containers share the owner's sandbox: key them by the owner's.
      const owner = await this.docker.getContainer(mode.slice('container:'.length)).inspect();
      netnsKey = owner.NetworkSettings?.SandboxKey || `container:${owner.Id}`;
    }
    return {
      id: info.Id,
      name: shortName(info.Name),
      labels: info.Config?.Labels ?? {},
      running: info.State?.Running === true,
      paused: info.State?.Paused === true,
      networkMode: mode,
      netnsKey,
      pid: info.State?.Pid || undefined,
    };
  }

  // ---------------------------------------------------------------- dry run

  async dryRun(spec: FaultSpec, options: { random?: () => number } = {}): Promise<DryRunResult> {
    const resolution = await this.resolveTargets(spec, options);
    const targets: DryRunTarget[] = resolution.targets.map((target) => {
      if (spec.kind === 'container') {
        const c = containerSteps(spec, target.containerId);
        return {
          target,
          strategy: 'docker',
          runner: ['docker'],
          apply: [c.apply],
          verify: [['docker', 'inspect', target.containerId]],
          revert: [c.revert],
          warnings: [],
        };
      }
      const compiled = compileNetworkFault(spec, this.options.compile);
      const runner =
        spec.strategy === 'sidecar'
          ? ['docker', 'exec', `<helper in netns of ${target.containerName}>`]
          : spec.strategy === 'exec'
            ? ['docker', 'exec', '--privileged', target.containerId.slice(0, 12)]
            : ['nsenter', '-t', String(target.pid ?? '<pid>'), '-n', '--'];
      return {
        target,
        strategy: spec.strategy,
        runner,
        apply: compiled.apply,
        verify: compiled.verify,
        revert: compiled.revert,
        warnings: compiled.warnings,
      };
    });
    return {
      kind: spec.kind,
      targets,
      refused: resolution.refused,
      deduplicated: resolution.deduplicated,
      selection: resolution.selection,
    };
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
      try {
        await probeKernel(new HelperRunner(this.docker, helperId), needs, this.engine);
      } catch (err) {
        await this.removeContainer(helperId);
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
      return { ...base, strategy: 'sidecar', compiled, helperContainerId: helperId };
    }
    const runner = this.runnerFor(spec.strategy, target.containerId, undefined, target.pid);
    await probeKernel(runner, needs, this.engine);
    this.emit({ type: 'probe', result: 'ok', durationMs: Date.now() - started, target: target.containerName });
    return { ...base, strategy: spec.strategy, compiled };
  }

  private async ensureImage(): Promise<string> {
    this.helperImage ??= await ensureHelperImage(this.docker);
    return this.helperImage;
  }

  /** Starts the helper in the target's netns (NET_ADMIN only) and waits until it can exec. */
  async createHelper(target: ResolvedTarget): Promise<string> {
    const image = await this.ensureImage();
    const name = `gameday-helper-${shortName(target.containerName)
      .replace(/[^a-zA-Z0-9_.-]/g, '-')
      .slice(0, 40)}-${randomBytes(3).toString('hex')}`;
    const container = await this.docker.createContainer({
      name,
      Image: image,
      Labels: {
        [HELPER_ROLE_LABEL]: 'helper',
        [HELPER_TARGET_LABEL]: target.containerId,
        'gameday.engine': this.engine,
      },
      Env: [`GAMEDAY_HELPER_LINGER_S=${this.options.helperLingerSeconds ?? 600}`],
      HostConfig: {
        NetworkMode: `container:${target.containerId}`,
        CapDrop: ['ALL'],
        CapAdd: ['NET_ADMIN'],
        // Killed from outside (OOM, kill -9): come back, find the expired fault, remove it.
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 0 },
        Memory: 64 * 1024 * 1024,
        PidsLimit: 64,
      },
    });
    try {
      await container.start();
      for (let i = 0; i < 100; i++) {
        const r = await execInContainer(this.docker, container.id, ['true']).catch(() => undefined);
        if (r?.exitCode === 0) return container.id;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`helper ${name} did not become ready`);
    } catch (err) {
      await this.removeContainer(container.id);
      throw err;
    }
  }

  private runnerFor(
    strategy: FaultLease['strategy'],
    containerId: string,
    helperId?: string | null,
    pid?: number,
  ): StepRunner {
    if (strategy === 'sidecar') {
      if (!helperId) throw new Error('sidecar strategy without a helper container');
      return new HelperRunner(this.docker, helperId);
    }
    if (strategy === 'exec') return new TargetExecRunner(this.docker, containerId);
    if (strategy === 'nsenter') {
      const local = this.options.engineIsLocal ?? Boolean((this.docker.modem as { socketPath?: unknown }).socketPath);
      if (!local)
        throw new Error(
          `the nsenter strategy needs the worker on the Docker host (engine ${this.engine} is remote): use sidecar`,
        );
      return new NsenterRunner(pid ?? 0);
    }
    throw new Error(`no tc runner for strategy ${strategy}`);
  }

  // ---------------------------------------------------------------- apply

  private newLease(
    prepared: PreparedFault,
    extra: Partial<FaultLease>,
  ): Omit<FaultLease, 'id' | 'revertedAt' | 'revertReason' | 'revertAttempts' | 'lastError'> {
    const { target } = prepared;
    const common = {
      runId: prepared.runId ?? null,
      experimentIndex: prepared.experimentIndex,
      strategy: prepared.strategy,
      engine: this.engine,
      containerId: target.containerId,
      containerName: target.containerName,
      netnsId: target.netnsId,
      expiresAt: prepared.expiresAt,
      helperContainerId: prepared.helperContainerId ?? null,
    };
    if (prepared.spec.kind === 'container') {
      const c = containerSteps(prepared.spec, target.containerId);
      return {
        ...common,
        kind: 'container',
        applyArgv: [c.apply],
        revertArgv: [c.revert],
        verifyArgv: null,
        details: { action: prepared.spec.action, signal: prepared.spec.signal },
        ...extra,
      };
    }
    const compiled = prepared.compiled!;
    return {
      ...common,
      kind: 'network',
      device: compiled.device,
      handle: compiled.handle,
      applyArgv: compiled.apply,
      verifyArgv: compiled.verify,
      revertArgv: compiled.revert,
      details: {
        expected: compiled.expected,
        warnings: compiled.warnings,
        selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
      },
      ...extra,
    };
  }

  async apply(prepared: PreparedFault): Promise<FaultLease> {
    const started = Date.now();
    // The ledger row exists before anything touches the target: a crash from here on is reaped.
    const lease = await this.options.leases.record(this.newLease(prepared, { plannedAt: this.now() }));
    try {
      let injectedAt: Date;
      if (prepared.spec.kind === 'container')
        injectedAt = await this.applyContainer(prepared.spec, prepared.target.containerId);
      else if (prepared.strategy === 'sidecar') injectedAt = await this.applyViaHelper(prepared);
      else injectedAt = await this.applyDirect(prepared);
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

  private async applyViaHelper(prepared: PreparedFault): Promise<Date> {
    const compiled = prepared.compiled!;
    const expireAt = prepared.expiresAt.getTime() + prepared.graceMs;
    const argv = ['gameday-helper', 'apply', String(expireAt), ...encodeHelperSteps(compiled.apply, compiled.undo)];
    const r = await execInContainer(this.docker, prepared.helperContainerId!, argv);
    if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'apply'], r.exitCode, r.stderr, true);
    const applied = msDate(parseKeyValues(r.stdout).applied_at);
    return applied ?? this.now();
  }

  private async applyDirect(prepared: PreparedFault): Promise<Date> {
    const compiled = prepared.compiled!;
    const runner = this.runnerFor(prepared.strategy, prepared.target.containerId, null, prepared.target.pid);
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
    const lease = await this.options.leases.record(
      this.newLease(
        { ...prepared, expiresAt },
        {
          plannedAt: at.applyAt,
          details: {
            expected: compiled.expected,
            warnings: compiled.warnings,
            applyAt: at.applyAt.toISOString(),
            revertAt: at.revertAt.toISOString(),
            selfExpiryAt: new Date(expireAt).toISOString(),
          },
        },
      ),
    );
    const argv = [
      'gameday-helper',
      'schedule',
      String(at.applyAt.getTime()),
      String(at.revertAt.getTime()),
      String(expireAt),
      ...encodeHelperSteps(compiled.apply, compiled.undo),
    ];
    const r = await execInContainer(this.docker, prepared.helperContainerId, argv);
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
    let r;
    try {
      r = await execInContainer(this.docker, lease.helperContainerId, ['gameday-helper', 'status']);
    } catch (err) {
      if (isNotFound(err) || /is not running/.test(String((err as Error).message)))
        return { state: 'unknown', error: 'helper container is gone or stopped' };
      throw err;
    }
    const kv = parseKeyValues(r.stdout);
    const states = ['idle', 'armed', 'applied', 'reverted', 'apply_failed', 'skipped_expired'] as const;
    const state = (states as readonly string[]).includes(kv.state)
      ? (kv.state as HelperTimeline['state'])
      : kv.state === 'cancelled'
        ? 'reverted'
        : 'unknown';
    const timeline: HelperTimeline = {
      state,
      plannedApplyAt: msDate(kv.apply_at),
      plannedRevertAt: msDate(kv.revert_at),
      selfExpiryAt: msDate(kv.expire_at),
      appliedAt: msDate(kv.applied_at),
      revertedAt: msDate(kv.reverted_at),
      revertReason: kv.revert_reason || undefined,
      error: kv.error || undefined,
    };
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
    const outcome =
      lease.kind === 'container' ? await this.verifyContainer(lease) : await this.verifyNetwork(lease, 'applied');
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
    const info = await this.inspectOrNull(lease.containerId);
    if (!info?.State?.Running)
      return want === 'reverted'
        ? { ok: true }
        : { ok: false, reasons: [`target ${lease.containerName} is not running`] };
    const use = runner ?? (await this.liveRunner(lease));
    const outputs = await this.readQdiscs(lease, use);
    return want === 'applied' ? verifyQdiscs(expected, outputs) : verifyReverted(expected, outputs);
  }

  private async verifyContainer(lease: FaultLease): Promise<VerifyOutcome> {
    const info = await this.inspectOrNull(lease.containerId);
    const action = lease.details?.action;
    if (!info) return { ok: false, reasons: [`container ${lease.containerName} is gone`] };
    if (action === 'pause')
      return info.State.Paused ? { ok: true } : { ok: false, reasons: [`${lease.containerName} is not paused`] };
    if (action === 'stop' || action === 'kill')
      return !info.State.Running ? { ok: true } : { ok: false, reasons: [`${lease.containerName} is running again`] };
    return { ok: true };
  }

  // ---------------------------------------------------------------- revert

  async revert(lease: FaultLease, reason: string): Promise<RevertResult> {
    const started = Date.now();
    try {
      const result =
        lease.kind === 'container' ? await this.revertContainer(lease) : await this.revertNetwork(lease, reason);
      await this.options.leases.markReverted(lease.id, result.at, reason);
      this.emit({
        type: 'revert',
        result: 'ok',
        reason: result.outcome,
        durationMs: Date.now() - started,
        target: lease.containerName,
      });
      return result;
    } catch (err) {
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
    const info = await this.inspectOrNull(lease.containerId);
    // The qdiscs lived in the target's netns: a stopped or removed target took them along.
    if (!info?.State?.Running)
      return {
        outcome: 'already_gone',
        at: this.now(),
        details: [`target ${lease.containerName} is not running: its network namespace is gone`],
      };
    let outcome: RevertResult['outcome'] = 'reverted';
    const details: string[] = [];
    let runner: StepRunner;
    let tempHelper: string | undefined;
    const helper =
      lease.strategy === 'sidecar' && lease.helperContainerId
        ? await this.inspectOrNull(lease.helperContainerId)
        : null;
    if (helper?.State?.Running) {
      runner = new HelperRunner(this.docker, lease.helperContainerId!);
      const r = await runner.run([
        'gameday-helper',
        'revert',
        reason.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 40) || 'manual',
      ]);
      if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'revert'], r.exitCode, r.stderr, false);
      const kv = parseKeyValues(r.stdout);
      if (kv.was !== 'applied' || kv.undone === '0') outcome = 'already_gone';
    } else {
      // No live helper (removed, or the reaper after a crash): run the revert argv directly;
      // each deletes only our handle and kind, so a failure means "already gone".
      if (lease.strategy === 'sidecar') tempHelper = await this.createHelper(this.targetOf(lease));
      runner = tempHelper
        ? new HelperRunner(this.docker, tempHelper)
        : this.runnerFor(lease.strategy, lease.containerId, null, info.State.Pid);
      let failures = 0;
      for (const argv of lease.revertArgv) {
        const r = await runner.run(argv);
        if (r.exitCode !== 0) {
          failures++;
          details.push(`${argv.join(' ')}: ${r.stderr.trim()}`);
        }
      }
      if (failures === lease.revertArgv.length) outcome = 'already_gone';
    }
    try {
      const check = await this.verifyNetwork(lease, 'reverted', runner);
      if (!check.ok)
        throw new Error(`revert of ${lease.containerName} left our qdiscs behind: ${check.reasons.join('; ')}`);
    } finally {
      if (tempHelper) await this.removeContainer(tempHelper);
    }
    return { outcome, at: this.now(), details };
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

  async release(prepared: PreparedFault | FaultLease): Promise<void> {
    if (prepared.helperContainerId) await this.removeContainer(prepared.helperContainerId);
  }

  // ---------------------------------------------------------------- container faults

  private async applyContainer(spec: ContainerFaultSpec, id: string): Promise<Date> {
    const c = this.docker.getContainer(id);
    switch (spec.action) {
      case 'pause':
        await c.pause();
        break;
      case 'stop':
        await c.stop({ t: 10 });
        break;
      case 'kill':
        await c.kill({ signal: spec.signal ?? 'SIGKILL' });
        break;
      case 'restart':
        await c.restart({ t: 10 });
        break;
    }
    return this.now();
  }

  private async revertContainer(lease: FaultLease): Promise<RevertResult> {
    const info = await this.inspectOrNull(lease.containerId);
    if (!info) return { outcome: 'already_gone', at: this.now(), details: ['container removed'] };
    const c = this.docker.getContainer(lease.containerId);
    if (lease.details?.action === 'pause') {
      if (!info.State.Paused) return { outcome: 'already_gone', at: this.now() };
      await c.unpause();
      return { outcome: 'reverted', at: this.now() };
    }
    if (info.State.Paused) await c.unpause();
    if (info.State.Running) return { outcome: 'already_gone', at: this.now() };
    try {
      await c.start();
    } catch (err) {
      if (!isNotModified(err)) throw err;
      return { outcome: 'already_gone', at: this.now() };
    }
    return { outcome: 'reverted', at: this.now() };
  }

  // ---------------------------------------------------------------- plumbing

  private async liveRunner(lease: FaultLease): Promise<StepRunner> {
    if (lease.strategy === 'sidecar') {
      const helper = lease.helperContainerId ? await this.inspectOrNull(lease.helperContainerId) : null;
      if (!helper?.State?.Running) throw new Error(`helper of ${lease.containerName} is not running`);
      return new HelperRunner(this.docker, lease.helperContainerId!);
    }
    const info = await this.inspectOrNull(lease.containerId);
    return this.runnerFor(lease.strategy, lease.containerId, null, info?.State?.Pid);
  }

  private async inspectOrNull(id: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async removeContainer(id: string): Promise<void> {
    try {
      // Stop first so the helper's TERM trap runs (it reverts anything still applied).
      await this.docker
        .getContainer(id)
        .stop({ t: 5 })
        .catch((err) => {
          if (!isNotFound(err) && !isNotModified(err)) throw err;
        });
      await this.docker.getContainer(id).remove({ force: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private emit(event: FaultDriverEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // metrics must never break fault handling
    }
  }
}

/** The Docker API call for a container fault and its inverse, written as the equivalent CLI argv. */
export function containerSteps(spec: ContainerFaultSpec, id: string): { apply: string[]; revert: string[] } {
  switch (spec.action) {
    case 'pause':
      return { apply: ['docker', 'pause', id], revert: ['docker', 'unpause', id] };
    case 'stop':
      return { apply: ['docker', 'stop', id], revert: ['docker', 'start', id] };
    case 'kill':
      return { apply: ['docker', 'kill', '--signal', spec.signal ?? 'SIGKILL', id], revert: ['docker', 'start', id] };
    case 'restart':
      return { apply: ['docker', 'restart', id], revert: ['docker', 'start', id] };
  }
}

export type { NetworkFaultSpec };

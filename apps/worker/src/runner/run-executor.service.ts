import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  assertTransition,
  combineVerdicts,
  evaluateHypothesis,
  gameDaySpecSchema,
  GuardrailMonitor,
  isTerminal,
  KernelCapabilityError,
  LOAD_SERIES,
  planRun,
  parseDurationMs,
  timeToRecoverMs,
  type ExperimentPlan,
  type ExperimentSpec,
  type FaultDriver,
  type FaultLease,
  type GameDaySpec,
  type LeaseRepository,
  type PreparedFault,
  type RunPlan,
  type RunStatus,
  type VerdictResult,
} from '@gameday/core';
import { PrismaService, RunRepository, type Prisma } from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { EgressGuard, LoadGenerator, ProbeLoop } from '@gameday/probes';
import { FaultJobs } from './fault-jobs.service';
import { openLeases, revertLease } from './lease-revert';
import { RunControl, RunAbortedError, type AbortCause } from './run-control';
import { FAULT_DRIVER, LEASE_REPOSITORY } from './runner.tokens';
import { SampleRecorder, type RecordedSample } from './sample-recorder';
import { WebhookNotifier } from './webhook-notifier';

/** The helper must be armed this long before T0 for injection to be on time. */
const MIN_ARM_LEAD_MS = 500;
/** How long after T0/T1 we wait for the helper to report that it applied/reverted. */
const CONFIRM_TIMEOUT_MS = 5_000;
/** The helper removes the fault on its own this long after the planned end if nobody did. */
const SELF_EXPIRY_GRACE_MS = 5_000;
const REVERIFY_EVERY_MS = 5_000;
const LOAD = LOAD_SERIES;

export interface ExperimentResult {
  index: number;
  name: string;
  plan: ExperimentPlan;
  targets: { containerId: string; containerName: string; netnsId?: string | null }[];
  stats: ReturnType<SampleRecorder['summaries']>;
  probes: Record<string, ReturnType<SampleRecorder['summaries']>>;
  verdict: VerdictResult;
  timeToRecoverMs: number | null;
  injectionSkewMs: number | null;
  revertSkewMs: number | null;
  abortLatencyMs: number | null;
  aborted?: AbortCause;
}

const iso = (ms: number) => new Date(ms);

/**
 * Drives one Run through its lifecycle at the planned instants:
 * arming (alongside the baseline) → baseline → injecting → observing → rolling_back → recovery,
 * for each experiment in order, then the verdict.
 *
 * The fault itself never depends on this process staying alive: before anything is applied the
 * delayed revert job is queued (layer 1), the lease is in Postgres for the reaper (layer 2), and the
 * helper in the target's netns applies at T0 and reverts at T1 by its own clock, with a
 * self-expiry behind that (layer 3). This class arms, watches, measures and decides.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger(RunExecutor.name);

  constructor(
    private readonly runs: RunRepository,
    private readonly prisma: PrismaService,
    @Inject(FAULT_DRIVER) private readonly driver: FaultDriver,
    @Inject(LEASE_REPOSITORY) private readonly leases: LeaseRepository,
    private readonly faultJobs: FaultJobs,
    private readonly notifier: WebhookNotifier,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    @Inject(EgressGuard) private readonly egress: EgressGuard,
  ) {}

  async execute(runId: string): Promise<void> {
    const run = await this.runs.findById(runId);
    if (!run) throw new Error(`no run ${runId}`);
    if (isTerminal(run.status as RunStatus)) return;

    const spec = gameDaySpecSchema.parse(run.spec);
    const plan = planRun(run.scheduledFor.getTime(), spec.experiments);
    const state = new RunState(this.runs, run.id, run.status as RunStatus);
    const control = new RunControl(async () => {
      const r = await this.prisma.run.findUnique({
        where: { id: runId },
        select: { abortRequestedAt: true, abortReason: true },
      });
      return r?.abortRequestedAt ? { at: r.abortRequestedAt, reason: r.abortReason ?? 'aborted by an operator' } : null;
    });
    const previous = (run.result as { experiments?: ExperimentResult[] } | null)?.experiments ?? [];
    const results: ExperimentResult[] = [...previous];
    control.watch();
    try {
      if (Date.now() > plan.endAt) {
        await this.revertRun(runId, 'run_window_passed');
        await state.to(
          'failed',
          {
            type: 'run.failed',
            message: 'the run window ended before a worker could drive it; any fault was reverted',
          },
          { finishedAt: new Date(), error: 'run window passed' },
        );
        return;
      }
      if (!run.startedAt) await this.prisma.run.update({ where: { id: runId }, data: { startedAt: new Date() } });
      if (run.experimentIndex > 0 || state.status !== 'scheduled') {
        await this.runs.appendEvent(runId, {
          type: 'run.resumed',
          message: `resumed by a worker in ${state.status} of experiment ${run.experimentIndex}`,
          phase: state.status,
        });
      }
      for (let i = run.experimentIndex; i < plan.experiments.length; i++) {
        const result = await this.runExperiment(runId, spec, plan, i, state, control);
        results[i] = result;
        await this.prisma.run.update({
          where: { id: runId },
          data: { experimentIndex: i, result: { experiments: results } as unknown as Prisma.InputJsonValue },
        });
        if (result.aborted) break;
      }
      const verdict = combineVerdicts(results.map((r) => r.verdict.verdict));
      const aborted = results.find((r) => r.aborted)?.aborted;
      const summary = {
        experiments: results,
        verdict,
        deviationRatio: results[0]?.verdict.deviationRatio ?? null,
      } as unknown as Prisma.InputJsonValue;
      await state.to(
        aborted ? 'aborted' : 'completed',
        {
          type: aborted ? 'run.aborted' : 'run.completed',
          message: aborted ? `aborted: ${aborted.reason}` : `completed: ${verdict}`,
          data: { verdict },
        },
        { finishedAt: new Date(), verdict, result: summary, ...(aborted ? { abortReason: aborted.reason } : {}) },
      );
      this.metrics.runsTotal.inc({ verdict });
      await this.notifier.notify(runId, spec, aborted ? 'run.aborted' : 'run.completed', {
        verdict,
        reason: aborted?.reason ?? results.map((r) => r.verdict.reason).join('; '),
      });
    } catch (error) {
      const message = (error as Error).message;
      this.logger.error(`run ${runId} failed: ${message}`);
      await this.revertRun(runId, 'run_failed');
      if (!isTerminal(state.status)) {
        await state.to(
          'failed',
          { type: 'run.failed', message, data: { error: message } },
          {
            finishedAt: new Date(),
            error: message,
            result: { experiments: results } as unknown as Prisma.InputJsonValue,
          },
        );
        this.metrics.runsTotal.inc({ verdict: 'failed' });
        await this.notifier.notify(runId, spec, 'run.failed', { reason: message });
      }
    } finally {
      control.stop();
    }
  }

  private async runExperiment(
    runId: string,
    spec: GameDaySpec,
    plan: RunPlan,
    index: number,
    state: RunState,
    control: RunControl,
  ): Promise<ExperimentResult> {
    const ep = plan.experiments[index];
    const exp = spec.experiments[index];
    const labels = { gameday: spec.name, experiment: exp.name };
    const recorder = new SampleRecorder(plan, index, {
      write: (i, batch) => this.writeSamples(runId, i, batch),
      observe: (_i, s) => {
        const outcome = s.ok ? 'ok' : (s.errorKind ?? 'error');
        this.metrics.probeDuration.observe(
          { ...labels, probe: s.probe, phase: s.window, outcome },
          s.durationMs / 1000,
        );
        this.metrics.probeRequests.inc({ ...labels, probe: s.probe, phase: s.window, outcome });
      },
    });
    const monitor = new GuardrailMonitor(
      (exp.guardrails ?? []).map((g) => ({
        name: g.name,
        metric: g.metric,
        threshold: g.threshold,
        windowMs: parseDurationMs(g.window)!,
        forMs: parseDurationMs(g.for)!,
        minSamples: g.minSamples,
      })),
    );
    const guardedProbes = new Map((exp.guardrails ?? []).map((g) => [g.name, g.probe]));
    recorder.onSample((s) => {
      if (s.window !== 'fault' || control.aborted) return;
      // guardrails and the verdict judge the hypothesis probes; the load only makes traffic
      const relevant = s.probe !== LOAD && [...guardedProbes.values()].some((p) => p === undefined || p === s.probe);
      if (!relevant) return;
      const breach = monitor.push(s, s.at + s.durationMs);
      if (breach) control.abort({ trigger: 'guardrail', reason: breach.reason, at: Date.now() });
    });

    const loops = exp.hypothesis.probes.map(
      (p) =>
        new ProbeLoop(
          [
            {
              name: p.name,
              url: p.url,
              method: p.method,
              headers: p.headers,
              body: p.body,
              expectedStatus: p.expectedStatus,
              timeoutMs: p.timeoutMs,
            },
          ],
          {
            intervalMs: parseDurationMs(p.interval)!,
            onSample: (name, s) => recorder.add(name, s),
            egress: this.egress,
          },
        ),
    );
    const load = exp.load
      ? new LoadGenerator(
          {
            url: exp.load.url,
            rate: exp.load.rate,
            concurrency: exp.load.concurrency,
            method: exp.load.method,
            headers: exp.load.headers,
            body: exp.load.body,
            timeoutMs: exp.load.timeoutMs,
          },
          (s) => recorder.add(LOAD, s),
          this.egress,
        )
      : undefined;
    const flusher = setInterval(
      () => void recorder.flush().catch((e) => this.logger.warn(`sample flush: ${(e as Error).message}`)),
      1_000,
    );

    let leases: FaultLease[] = await this.leasesOf(runId, index);
    // A lease row (reverted or not) means this experiment was armed before: never arm twice.
    const alreadyArmed = (await this.prisma.activeFault.count({ where: { runId, experimentIndex: index } })) > 0;
    const prepared: PreparedFault[] = [];
    let injectionSkewMs: number | null = null;
    let revertSkewMs: number | null = null;
    let abortLatencyMs: number | null = null;
    const targetsOf = () =>
      leases.map((l) => ({ containerId: l.containerId, containerName: l.containerName, netnsId: l.netnsId }));

    try {
      await control.sleepUntil(ep.baselineAt);
      for (const l of loops) l.start();
      load?.start();

      // ---- arming: resolve, probe the kernel, start helpers, queue the revert, hand over T0/T1
      if (!alreadyArmed) {
        if (state.status === 'scheduled' || state.status === 'recovery') {
          await state.to('arming', {
            type: 'phase.arming',
            message: `arming experiment "${exp.name}"`,
            experimentIndex: index,
            plannedAt: iso(ep.baselineAt),
          });
          await this.notifier.notify(runId, spec, 'run.started', { experiment: exp.name });
        }
        leases = await this.arm(runId, exp, ep, index, prepared, control);
      }
      if (state.status === 'arming') {
        await state.to('baseline', {
          type: 'phase.baseline',
          message: `armed ${leases.length} target(s); measuring the steady state until ${iso(ep.injectAt).toISOString()}`,
          experimentIndex: index,
          plannedAt: iso(ep.baselineAt),
          data: { targets: targetsOf() },
        });
      }

      // ---- injecting: the helper applies at T0 by its own clock; we confirm and record the skew
      if (state.status === 'baseline') {
        await control.sleepUntil(ep.injectAt);
        await state.to('injecting', {
          type: 'phase.injecting',
          message: 'injecting the fault',
          experimentIndex: index,
          plannedAt: iso(ep.injectAt),
        });
        injectionSkewMs = await this.confirmInjected(runId, leases, ep, index, control, exp);
        for (const l of leases) this.metrics.faultActive.set({ ...labels, target: l.containerName }, 1);
        await this.notifier.notify(runId, spec, 'fault.injected', {
          experiment: exp.name,
          targets: leases.map((l) => l.containerName),
        });
        await state.to('observing', {
          type: 'phase.observing',
          message: `observing until ${iso(ep.revertAt).toISOString()}`,
          experimentIndex: index,
          plannedAt: iso(ep.injectAt),
        });
      }

      // ---- observing: guardrails watch the samples; the fault is re-verified now and then
      if (state.status === 'observing' || state.status === 'injecting') {
        while (Date.now() < ep.revertAt) {
          await control.sleepUntil(Math.min(ep.revertAt, Date.now() + REVERIFY_EVERY_MS));
          if (Date.now() < ep.revertAt - 500) await this.reverify(runId, leases, index, control);
        }
        await state.to('rolling_back', {
          type: 'phase.rolling_back',
          message: 'rolling the fault back',
          experimentIndex: index,
          plannedAt: iso(ep.revertAt),
        });
        revertSkewMs = await this.confirmReverted(runId, leases, ep, index, 'planned_end');
        for (const l of leases) this.metrics.faultActive.set({ ...labels, target: l.containerName }, 0);
        await this.notifier.notify(runId, spec, 'fault.reverted', { experiment: exp.name });
        await state.to('recovery', {
          type: 'phase.recovery',
          message: `watching recovery until ${iso(ep.endAt).toISOString()}`,
          experimentIndex: index,
          plannedAt: iso(ep.revertAt),
        });
      } else if (state.status === 'rolling_back') {
        revertSkewMs = await this.confirmReverted(runId, leases, ep, index, 'planned_end');
        await state.to('recovery', {
          type: 'phase.recovery',
          message: 'watching recovery',
          experimentIndex: index,
          plannedAt: iso(ep.revertAt),
        });
      }

      await control.sleepUntil(ep.endAt);
    } catch (error) {
      if (!(error instanceof RunAbortedError)) {
        clearInterval(flusher);
        await Promise.allSettled([...loops.map((l) => l.stop()), load?.stop()]);
        await this.releaseAll(prepared, leases);
        throw error;
      }
      // ---- abort: revert now (also done by the fault queue for operator aborts), measure latency
      const cause = error.detail;
      const reverted = await this.revertRun(runId, cause.trigger === 'guardrail' ? 'guardrail' : 'abort');
      abortLatencyMs = Date.now() - cause.at;
      this.metrics.abortLatency.observe({ trigger: cause.trigger }, abortLatencyMs / 1000);
      for (const l of leases) this.metrics.faultActive.set({ ...labels, target: l.containerName }, 0);
      if (leases.length > 0)
        await this.notifier.notify(runId, spec, 'fault.reverted', { experiment: exp.name, reason: cause.reason });
      await this.runs.appendEvent(runId, {
        type: 'run.abort',
        message: `${cause.reason}; ${reverted} fault(s) reverted ${abortLatencyMs} ms after the ${cause.trigger === 'guardrail' ? 'breach' : 'request'}`,
        phase: state.status,
        experimentIndex: index,
        data: { trigger: cause.trigger, abortLatencyMs },
      });
    } finally {
      clearInterval(flusher);
    }

    await Promise.allSettled([...loops.map((l) => l.stop()), load?.stop()]);
    await recorder.flush().catch((e) => this.logger.warn(`sample flush: ${(e as Error).message}`));
    await this.releaseAll(prepared, leases);

    const criteria = exp.hypothesis.tolerances ?? {};
    const hypothesisSample = (s: RecordedSample) => s.probe !== LOAD;
    const stats = recorder.summaries(hypothesisSample);
    const verdict = evaluateHypothesis(stats, criteria, control.aborted?.reason);
    const probeNames = [...exp.hypothesis.probes.map((p) => p.name), ...(exp.load ? [LOAD] : [])];
    const probes = Object.fromEntries(probeNames.map((name) => [name, recorder.summaries((s) => s.probe === name)]));
    const ttr = timeToRecoverMs(
      recorder.samples('recovery').filter(hypothesisSample),
      ep.revertAt,
      stats.baseline.p95Ms,
    );
    if (verdict.deviationRatio !== null) this.metrics.steadyStateDeviation.set(labels, verdict.deviationRatio);
    await this.runs.appendEvent(runId, {
      type: 'experiment.verdict',
      message: `${exp.name}: ${verdict.verdict} (${verdict.reason})`,
      experimentIndex: index,
      data: { verdict: verdict.verdict, deviationRatio: verdict.deviationRatio, timeToRecoverMs: ttr },
    });
    return {
      index,
      name: exp.name,
      plan: ep,
      targets: targetsOf(),
      stats,
      probes,
      verdict,
      timeToRecoverMs: ttr,
      injectionSkewMs,
      revertSkewMs,
      abortLatencyMs,
      ...(control.aborted ? { aborted: control.aborted } : {}),
    };
  }

  /** Resolves targets, probes kernel features, starts helpers, queues the revert, schedules T0/T1. */
  private async arm(
    runId: string,
    exp: ExperimentSpec,
    ep: ExperimentPlan,
    index: number,
    prepared: PreparedFault[],
    control: RunControl,
  ): Promise<FaultLease[]> {
    const resolution = await this.driver.resolveTargets(exp.fault);
    await this.runs.appendEvent(runId, {
      type: 'targets.resolved',
      message: `${resolution.targets.length} target(s): ${resolution.targets.map((t) => t.containerName).join(', ') || 'none'}`,
      experimentIndex: index,
      data: JSON.parse(JSON.stringify(resolution)) as Prisma.InputJsonValue,
    });
    if (resolution.targets.length === 0)
      throw new Error(
        `no target for experiment "${exp.name}": ${resolution.refused.map((r) => `${r.name}: ${r.reason}`).join('; ') || 'nothing matched'}`,
      );
    try {
      for (const target of resolution.targets) {
        prepared.push(
          await this.driver.prepare(exp.fault, target, {
            expiresAt: iso(ep.revertAt),
            graceMs: SELF_EXPIRY_GRACE_MS,
            runId,
            experimentIndex: index,
          }),
        );
        control.throwIfAborted();
      }
    } catch (error) {
      await this.releaseAll(prepared, []);
      if (error instanceof KernelCapabilityError)
        this.metrics.faultInjections.inc({ result: 'refused', reason: 'kernel' });
      throw error;
    }
    const lateBy = Date.now() - (ep.injectAt - MIN_ARM_LEAD_MS);
    if (lateBy > 0) {
      // Injecting late would shift the fault window the hypothesis is judged on: refuse, cleanly.
      await this.releaseAll(prepared, []);
      throw new Error(
        `arming finished ${lateBy} ms after its deadline (${MIN_ARM_LEAD_MS} ms before the injection instant): nothing was applied; make the baseline longer than arming takes on this engine`,
      );
    }
    // Layer 1: the revert is queued before anything is applied.
    await this.faultJobs.scheduleRevert(runId, index, iso(ep.revertAt));
    const leases: FaultLease[] = [];
    for (const p of prepared) {
      if (p.spec.kind === 'network' && p.strategy === 'sidecar') {
        leases.push(await this.driver.scheduleApply(p, { applyAt: iso(ep.injectAt), revertAt: iso(ep.revertAt) }));
      } else {
        // Container faults and exec/nsenter have no clock in the netns: applied from here at T0.
        leases.push(await this.applyAt(p, ep.injectAt, control));
      }
    }
    for (const l of leases) {
      await this.runs.appendEvent(runId, {
        type: 'fault.armed',
        message: `${l.kind} fault armed on ${l.containerName} (${l.strategy})`,
        experimentIndex: index,
        plannedAt: iso(ep.injectAt),
        data: {
          leaseId: l.id,
          containerId: l.containerId,
          netnsId: l.netnsId ?? null,
          helperContainerId: l.helperContainerId ?? null,
          handle: l.handle ?? null,
          applyArgv: l.applyArgv,
          revertArgv: l.revertArgv,
        },
      });
    }
    return leases;
  }

  /** In-process timer for strategies without a helper clock; the lease is still written first. */
  private applyAt(p: PreparedFault, at: number, control: RunControl): Promise<FaultLease> {
    return control.sleepUntil(at).then(() => this.driver.apply(p));
  }

  private async confirmInjected(
    runId: string,
    leases: FaultLease[],
    ep: ExperimentPlan,
    index: number,
    control: RunControl,
    exp: ExperimentSpec,
  ): Promise<number | null> {
    let worst: number | null = null;
    for (const lease of leases) {
      const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
      let timeline = await this.driver.readTimeline(lease);
      while (timeline.state === 'armed' && Date.now() < deadline) {
        // each look is a docker exec: do not compete with the helper applying right now
        await new Promise((r) => setTimeout(r, 100));
        timeline = await this.driver.readTimeline(lease);
      }
      if (timeline.state !== 'applied' || !timeline.appliedAt) {
        this.metrics.faultInjections.inc({ result: 'failed', reason: timeline.state });
        throw new Error(
          `the fault on ${lease.containerName} was not applied (helper state ${timeline.state}${timeline.error ? `: ${timeline.error}` : ''})`,
        );
      }
      await this.leases.markInjected(lease.id, timeline.appliedAt);
      const skew = timeline.appliedAt.getTime() - ep.injectAt;
      worst = worst === null ? skew : Math.max(worst, skew);
      this.metrics.injectionSkew.observe({ action: 'inject' }, Math.max(0, skew) / 1000);
      this.metrics.faultInjections.inc({ result: 'ok', reason: exp.fault.kind });
      const verified = lease.kind === 'network' ? await this.driver.verify(lease) : undefined;
      await this.runs.appendEvent(runId, {
        type: 'fault.applied',
        message: `applied on ${lease.containerName} ${skew} ms after the planned instant${verified && !verified.ok ? `; verification failed: ${verified.reasons.join('; ')}` : ''}`,
        phase: 'injecting',
        experimentIndex: index,
        plannedAt: iso(ep.injectAt),
        at: timeline.appliedAt,
        data: {
          leaseId: lease.id,
          containerId: lease.containerId,
          skewMs: skew,
          applyArgv: lease.applyArgv,
          verified: verified ? verified.ok : null,
        },
      });
      if (verified && !verified.ok)
        control.abort({
          trigger: 'verification',
          reason: `fault on ${lease.containerName} is not as intended: ${verified.reasons.join('; ')}`,
          at: Date.now(),
        });
    }
    control.throwIfAborted();
    return worst;
  }

  private async reverify(runId: string, leases: FaultLease[], index: number, control: RunControl): Promise<void> {
    for (const lease of leases) {
      if (lease.kind !== 'network') continue;
      const v = await this.driver.verify(lease).catch((e: Error) => ({ ok: false, reasons: [e.message] }));
      if (!v.ok) {
        await this.runs.appendEvent(runId, {
          type: 'fault.lost',
          message: `fault on ${lease.containerName} is no longer in place: ${v.reasons.join('; ')}`,
          experimentIndex: index,
          data: { leaseId: lease.id },
        });
        control.abort({
          trigger: 'verification',
          reason: `fault on ${lease.containerName} disappeared during the window (container restarted or another tool removed it)`,
          at: Date.now(),
        });
      }
    }
  }

  /** At T1 the helper reverts by its own clock; confirm it, or revert from here. */
  private async confirmReverted(
    runId: string,
    leases: FaultLease[],
    ep: ExperimentPlan,
    index: number,
    reason: string,
  ): Promise<number | null> {
    let worst: number | null = null;
    for (const lease of leases) {
      const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
      let timeline = await this.driver
        .readTimeline(lease)
        .catch(() => ({ state: 'unknown' as const, revertedAt: undefined, error: undefined }));
      while (timeline.state === 'applied' && lease.strategy === 'sidecar' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        timeline = await this.driver
          .readTimeline(lease)
          .catch(() => ({ state: 'unknown' as const, revertedAt: undefined, error: undefined }));
      }
      let revertedAt: Date;
      if (timeline.state === 'reverted' && timeline.revertedAt) {
        revertedAt = timeline.revertedAt;
        // the helper removed the qdisc; revert() confirms nothing of ours is left and is idempotent
        await this.driver.revert(lease, reason);
      } else {
        revertedAt = (await this.driver.revert(lease, reason)).at;
      }
      await this.leases.markReverted(lease.id, revertedAt, reason);
      this.metrics.faultReverts.inc({ result: 'ok', reason });
      const skew = revertedAt.getTime() - ep.revertAt;
      worst = worst === null ? skew : Math.max(worst, skew);
      this.metrics.injectionSkew.observe({ action: 'revert' }, Math.max(0, skew) / 1000);
      await this.runs.appendEvent(runId, {
        type: 'fault.reverted',
        message: `reverted on ${lease.containerName} ${skew} ms after the planned instant`,
        phase: 'rolling_back',
        experimentIndex: index,
        plannedAt: iso(ep.revertAt),
        at: revertedAt,
        data: { leaseId: lease.id, skewMs: skew, revertArgv: lease.revertArgv },
      });
    }
    await this.faultJobs.cancelRevert(runId, index);
    return worst;
  }

  /** Reverts every unreverted lease of the run now. Returns how many were reverted. */
  async revertRun(runId: string, reason: string): Promise<number> {
    const open = await openLeases(this.leases, this.driver, (l) => l.runId === runId);
    const outcomes = await Promise.allSettled(
      open.map((lease) => revertLease(this.driver, this.leases, this.metrics, lease, reason)),
    );
    return outcomes.filter((o) => o.status === 'fulfilled').length;
  }

  private async releaseAll(prepared: PreparedFault[], leases: FaultLease[]): Promise<void> {
    // A helper is only removed once its fault is reverted: it is the last safety layer.
    const open = new Set((await openLeases(this.leases, this.driver)).map((l) => l.id));
    const done = leases.filter((l) => !open.has(l.id));
    const leased = new Set(leases.map((l) => l.helperContainerId).filter(Boolean));
    await Promise.allSettled([
      ...done.map((l) => this.driver.release(l)),
      ...prepared
        .filter((p) => !p.helperContainerId || !leased.has(p.helperContainerId))
        .map((p) => this.driver.release(p)),
    ]);
  }

  private leasesOf(runId: string, index: number): Promise<FaultLease[]> {
    return openLeases(this.leases, this.driver, (l) => l.runId === runId && l.experimentIndex === index);
  }

  private async writeSamples(runId: string, experimentIndex: number, batch: RecordedSample[]): Promise<void> {
    await this.prisma.probeSample.createMany({
      data: batch.map((s) => ({
        runId,
        experimentIndex,
        probe: s.probe,
        phase: s.window,
        at: new Date(s.at),
        durationMs: s.durationMs,
        status: s.status ?? null,
        ok: s.ok,
        errorKind: s.errorKind ?? null,
      })),
    });
  }
}

/** The run's status as this process knows it, moved only along legal transitions. */
class RunState {
  constructor(
    private readonly runs: RunRepository,
    private readonly runId: string,
    public status: RunStatus,
  ) {}

  async to(
    next: RunStatus,
    event: Parameters<RunRepository['transition']>[2],
    fields?: Parameters<RunRepository['transition']>[3],
  ): Promise<void> {
    assertTransition(this.status, next);
    await this.runs.transition(this.runId, next, { phase: next, ...event }, fields);
    this.status = next;
  }
}

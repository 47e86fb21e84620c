import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  combineVerdicts,
  fieldErrors,
  gameDaySpecSchema,
  isTerminal,
  KernelCapabilityError,
  mayReverify,
  nextReverifyAt,
  observedWindows,
  parseDurationMs,
  planRun,
  readRunResult,
  REVERIFY_EVERY_MS,
  type Clock,
  type ExperimentPlan,
  type ExperimentResult,
  type ExperimentSpec,
  type FaultDriver,
  type FaultLease,
  type GameDaySpec,
  type LeaseRepository,
  type PreparedFault,
  type RevertResult,
  type RunPlan,
  type RunStatus,
} from '@gameday/core';
import { FencedError, isConnectionLoss, ProbeSampleRepository, RunRepository, type Prisma } from '@gameday/db';
import { APP_CONFIG, CLOCK, type AppConfig } from '@gameday/config';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { faultCapabilities } from '@gameday/faults';
import { EgressGuard } from '@gameday/probes';
import { ArmingPlanner } from './arming-planner';
import { ArmingWatch } from './arming-watch';
import { FaultConfirmation } from './fault-confirmation';
import { FaultJobs } from './fault-jobs.service';
import { reverifyFaults } from './fault-reverify';
import { LeaseLedger } from './lease-ledger';
import { openLeases, revertLease } from './lease-revert';
import { RunControl, RunAbortedError } from './run-control';
import { RunState } from './run-state';
import { SafetyLeverGuard } from './safety-lever.guard';
import { restoreStoredSamples } from './stored-samples';
import { FAULT_DRIVER, LEASE_REPOSITORY } from './runner.tokens';
import { SteadyStateWatch } from './steady-state-watch';
import { UnrecordedReverts } from './unrecorded-reverts';
import { WebhookNotifier } from './webhook-notifier';

/** The helper must be armed this long before T0 for injection to be on time. */
const MIN_ARM_LEAD_MS = 500;
/** The helper removes the fault on its own this long after the planned end if nobody did. */
const SELF_EXPIRY_GRACE_MS = 5_000;
const dateOf = (ms: number) => new Date(ms);
const json = (v: unknown) => v as Prisma.InputJsonValue;

/**
 * Drives one Run through its lifecycle at the planned instants:
 * arming (alongside the baseline) → baseline → injecting → observing → rolling_back → recovery,
 * for each experiment in order, then the verdict.
 *
 * The fault itself never depends on this process staying alive: before anything is applied the
 * delayed revert job is queued (layer 1), the lease is in Postgres for the reaper (layer 2), and the
 * helper in the target's netns applies at T0 and reverts at T1 by its own clock, with a
 * self-expiry behind that (layer 3). This class arms, watches, measures and decides; the samples
 * are judged by the windows as they really were (observedWindows), not by when this process
 * noticed a change.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger(RunExecutor.name);
  private readonly confirm: FaultConfirmation;
  private readonly ledger: LeaseLedger;
  /** who holds a run (recorded with the fencing token) */
  private readonly executorId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly runs: RunRepository,
    private readonly samples: ProbeSampleRepository,
    @Inject(FAULT_DRIVER) private readonly driver: FaultDriver,
    @Inject(LEASE_REPOSITORY) private readonly leases: LeaseRepository,
    private readonly faultJobs: FaultJobs,
    private readonly notifier: WebhookNotifier,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EgressGuard) private readonly egress: EgressGuard,
    private readonly safetyLever: SafetyLeverGuard,
    private readonly unrecorded: UnrecordedReverts,
    private readonly armingPlanner: ArmingPlanner,
  ) {
    this.confirm = new FaultConfirmation(driver, leases, runs, metrics);
    this.ledger = new LeaseLedger(leases, clock);
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  async execute(runId: string): Promise<void> {
    // a run resumed after Postgres came back: what this worker reverted meanwhile is recorded
    // first, with its own instants and reasons, before this executor looks at the ledger
    await this.unrecorded.flush();
    const run = await this.runs.findById(runId);
    if (!run) throw new Error(`no run ${runId}`);
    if (isTerminal(run.status as RunStatus)) return;

    const parsed = gameDaySpecSchema.safeParse(run.spec);
    // one executor per run: a job re-delivered while its first executor still runs takes the run
    // over here, and the first one stops at its next step (see RunControl)
    const epoch = await this.runs.claimExecution(runId, this.executorId);
    if (!parsed.success) {
      // a row stored before today's rules (or changed by hand): no retry can make it valid, and
      // left `scheduled` it would only be redelivered until the reaper calls it orphaned
      const problems = fieldErrors(parsed.error).map((f) => `${f.field}: ${f.message}`);
      await new RunState(this.runs, run.id, run.status as RunStatus, epoch).to(
        'failed',
        { type: 'run.failed', message: `the stored GameDay is not valid any more: ${problems.join('; ')}` },
        { finishedAt: this.clock.now(), error: `invalid spec: ${problems[0] ?? parsed.error.message}` },
      );
      return;
    }
    const spec = parsed.data;
    // arming happens ahead of the baseline: a lead this engine learned, settled once per run
    const plan = planRun(
      run.scheduledFor.getTime(),
      spec.experiments,
      await this.armingPlanner.leadFor(run, spec.experiments),
    );
    const state = new RunState(this.runs, run.id, run.status as RunStatus, epoch);
    const control = new RunControl(
      () => this.runs.controlState(runId),
      () => this.nowMs(),
    );
    control.hold(runId, epoch);
    const results: ExperimentResult[] = [...readRunResult(run.result).experiments];
    control.watch();
    try {
      if (this.nowMs() > plan.endAt) {
        await this.revertRun(runId, 'run_window_passed');
        await state.to(
          'failed',
          {
            type: 'run.failed',
            message: 'the run window ended before a worker could drive it; any fault was reverted',
          },
          { finishedAt: this.clock.now(), error: 'run window passed' },
        );
        return;
      }
      await this.runs.markStarted(runId, this.clock.now());
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
        await this.runs.saveProgress(runId, i, json({ experiments: results }), epoch);
        if (result.aborted) break;
      }
      const verdict = combineVerdicts(results.map((r) => r.verdict.verdict));
      const aborted = results.find((r) => r.aborted)?.aborted;
      const summary = json({
        experiments: results,
        verdict,
        deviationRatio: results[0]?.verdict.deviationRatio ?? null,
      });
      await state.to(
        aborted ? 'aborted' : 'completed',
        {
          type: aborted ? 'run.aborted' : 'run.completed',
          message: aborted ? `aborted: ${aborted.reason}` : `completed: ${verdict}`,
          data: { verdict },
        },
        { finishedAt: this.clock.now(), verdict, result: summary, ...(aborted ? { abortReason: aborted.reason } : {}) },
      );
      this.metrics.runsTotal.inc({ verdict });
      await this.notifier.notify(runId, spec, aborted ? 'run.aborted' : 'run.completed', {
        verdict,
        reason: aborted?.reason ?? results.map((r) => r.verdict.reason).join('; '),
      });
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof FencedError) {
        // the run, its faults and its helpers belong to the executor that took over
        this.logger.warn(message);
        return;
      }
      if (isConnectionLoss(error)) {
        // Postgres went away (a restart, a failover): the run is not over. What has no clock of
        // its own in the target came out from memory already; the job is retried (JOB_OPTIONS)
        // and resumes the run from Postgres once it answers, like a run whose worker died
        this.logger.warn(`run ${runId} lost Postgres, to be resumed: ${message}`);
        throw error;
      }
      this.logger.error(`run ${runId} failed: ${message}`);
      await this.revertRun(runId, 'run_failed');
      if (!isTerminal(state.status)) {
        await state.to(
          'failed',
          { type: 'run.failed', message, data: { error: message } },
          {
            finishedAt: this.clock.now(),
            error: message,
            result: json({ experiments: results }),
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
    const watch = new SteadyStateWatch(
      exp,
      plan,
      index,
      {
        runId,
        gameDay: spec.name,
        samples: this.samples,
        metrics: this.metrics,
        egress: this.egress,
        prometheusUrl: this.config.GAMEDAY_PROMETHEUS_URL,
      },
      control,
    );
    await restoreStoredSamples(this.samples, watch, runId, index);

    let leases: FaultLease[] = await this.leasesOf(runId, index);
    // A lease row (reverted or not) means this experiment was armed before: never arm twice.
    const alreadyArmed = (await this.leases.countForExperiment(runId, index)) > 0;
    const prepared: PreparedFault[] = [];
    let pending: PreparedFault[] = [];
    // what really happened, for the windows the verdict judges
    let armedAt: number | null = null;
    let applied: { at: Date; skewMs: number } | null = null;
    let reverted: { at: Date; skewMs: number } | null = null;
    let early: ReadonlyMap<string, RevertResult> = new Map();
    let abortLatencyMs: number | null = null;
    const targetsOf = () =>
      leases.map((l) => ({ containerId: l.containerId, containerName: l.containerName, netnsId: l.netnsId }));
    const setActive = (on: 0 | 1) => {
      for (const l of leases) this.metrics.faultActive.set({ ...labels, target: l.containerName }, on);
    };

    try {
      await control.sleepUntil(ep.armAt);
      watch.start();

      // ---- arming: resolve, probe the kernel, start helpers, queue the revert, hand over T0/T1
      if (!alreadyArmed) {
        if (state.status === 'scheduled' || state.status === 'recovery') {
          await state.to('arming', {
            type: 'phase.arming',
            message: `arming experiment "${exp.name}"`,
            experimentIndex: index,
            plannedAt: dateOf(ep.armAt),
          });
          await this.notifier.notify(runId, spec, 'run.started', { experiment: exp.name });
        }
        await this.safetyLever.refuseArming(control);
        const timing = new ArmingWatch(
          { runs: this.runs, nowMs: () => this.nowMs(), engine: this.driver.engine },
          runId,
          ep,
        );
        timing.start();
        try {
          ({ leases, pending } = await this.arm(runId, exp, ep, index, prepared, control));
        } catch (error) {
          timing.stop();
          // a slow arming that missed its deadline still teaches the engine's lead (an aborted or
          // taken-over one was cut short: its time says nothing)
          if (!(error instanceof RunAbortedError || error instanceof FencedError))
            await timing.done(this.nowMs(), (error as Error).message).catch(() => undefined);
          throw error;
        }
        armedAt = this.nowMs();
        await timing.done(armedAt);
      }
      if (state.status === 'arming') {
        await control.sleepUntil(ep.baselineAt);
        await state.to('baseline', {
          type: 'phase.baseline',
          message: `armed ${prepared.length} target(s); measuring the steady state until ${dateOf(ep.injectAt).toISOString()}`,
          experimentIndex: index,
          plannedAt: dateOf(ep.baselineAt),
          data: {
            targets: prepared.map((p) => ({
              containerId: p.target.containerId,
              containerName: p.target.containerName,
            })),
          },
        });
      }

      // ---- injecting: the helper applies at T0 by its own clock; we confirm and record the skew
      if (state.status === 'baseline') {
        await control.sleepUntil(ep.injectAt);
        await state.to('injecting', {
          type: 'phase.injecting',
          message: 'injecting the fault',
          experimentIndex: index,
          plannedAt: dateOf(ep.injectAt),
        });
        const direct = [];
        // each lease is recorded before its fault is applied (write-ahead)
        for (const p of pending) direct.push(await this.ledger.apply(this.driver, p));
        // their commands are on record like the helper's (reports show what ran where)
        await this.announceArmed(runId, direct, ep, prepared);
        leases.push(...direct);
        const confirmed = await this.confirm.injected(runId, leases, ep, exp.fault.kind);
        applied = confirmed;
        for (const reason of confirmed?.unverified ?? [])
          control.abort({ trigger: 'verification', reason, at: this.nowMs() });
        control.throwIfAborted();
        setActive(1);
        await this.notifier.notify(runId, spec, 'fault.injected', {
          experiment: exp.name,
          targets: leases.map((l) => l.containerName),
        });
        await state.to('observing', {
          type: 'phase.observing',
          message: `observing until ${dateOf(ep.revertAt).toISOString()}`,
          experimentIndex: index,
          plannedAt: dateOf(ep.injectAt),
        });
      }

      // ---- observing: guardrails watch the samples; the fault is re-verified now and then
      if (state.status === 'observing' || state.status === 'injecting') {
        let checkCostMs = 0;
        let nextCheckAt = this.nowMs() + REVERIFY_EVERY_MS;
        while (this.nowMs() < ep.revertAt) {
          await control.sleepUntil(Math.min(ep.revertAt, nextCheckAt));
          // a check's docker execs must not spill into the revert instant
          if (!mayReverify(this.nowMs(), ep.revertAt, checkCostMs)) {
            nextCheckAt = ep.revertAt;
            continue;
          }
          const began = this.nowMs();
          await reverifyFaults(
            { driver: this.driver, runs: this.runs, nowMs: () => this.nowMs() },
            { runId, leases, index, control, plannedEnd: ep.revertAt },
          );
          checkCostMs = this.nowMs() - began;
          nextCheckAt = nextReverifyAt(this.nowMs(), checkCostMs);
        }
        early = await this.confirm.revertUnguarded(leases, 'planned_end');
        await state.to('rolling_back', {
          type: 'phase.rolling_back',
          message: 'rolling the fault back',
          experimentIndex: index,
          plannedAt: dateOf(ep.revertAt),
        });
      }
      if (state.status === 'rolling_back') {
        reverted = await this.confirm.reverted(runId, leases, ep, 'planned_end', early);
        await this.faultJobs.cancelRevert(runId, index);
        setActive(0);
        await this.notifier.notify(runId, spec, 'fault.reverted', { experiment: exp.name });
        await state.to('recovery', {
          type: 'phase.recovery',
          message: `watching recovery until ${dateOf(ep.endAt).toISOString()}`,
          experimentIndex: index,
          plannedAt: dateOf(ep.revertAt),
        });
      }

      await control.sleepUntil(ep.endAt);
    } catch (error) {
      if (error instanceof FencedError) {
        await watch.stop();
        throw error;
      }
      if (!(error instanceof RunAbortedError)) {
        // the run cannot go on (Postgres may be what failed): what has no clock of its own in the
        // target comes out now, from what this worker holds, before anything that needs Postgres:
        // stopping the watch waits for probes in flight and writes the last samples, which can fail
        // or wait on a pool that lost Postgres (a CI run of postgres-down-fault.int-spec saw the
        // target still paused at T1+5 s; the cause was not reproduced here)
        // and its ledger records when that happened, once Postgres answers (T1's instant if it was then)
        this.unrecorded.add(early, 'planned_end');
        this.unrecorded.add(await this.confirm.revertUnguarded(leases, 'run_failed'), 'run_failed');
        await watch.stop().catch(() => undefined);
        await this.unrecorded.flush();
        await this.releaseAll(prepared, leases);
        throw error;
      }
      // ---- abort: revert now (also done by the fault queue for operator aborts), measure latency
      const cause = error.detail;
      const reason = cause.trigger === 'guardrail' ? 'guardrail' : 'abort';
      // from memory first: the ledger read below needs Postgres
      this.unrecorded.add(await this.confirm.revertUnguarded(leases, reason), reason);
      await this.unrecorded.flush();
      const count = await this.revertRun(runId, reason);
      reverted = { at: this.clock.now(), skewMs: 0 };
      abortLatencyMs = this.nowMs() - cause.at;
      this.metrics.abortLatency.observe({ trigger: cause.trigger }, abortLatencyMs / 1000);
      setActive(0);
      if (leases.length > 0)
        await this.notifier.notify(runId, spec, 'fault.reverted', { experiment: exp.name, reason: cause.reason });
      await this.runs.appendEvent(runId, {
        type: 'run.abort',
        message: `${cause.reason}; ${count} fault(s) reverted ${abortLatencyMs} ms after the ${cause.trigger === 'guardrail' ? 'breach' : 'request'}`,
        phase: state.status,
        experimentIndex: index,
        data: { trigger: cause.trigger, abortLatencyMs },
      });
    }

    await watch.stop();
    await this.releaseAll(prepared, leases);

    const settleMs = parseDurationMs(exp.durations.settle ?? '0s') ?? 0;
    const windows = observedWindows(
      ep,
      { armedAt, appliedAt: applied?.at.getTime(), revertedAt: reverted?.at.getTime() },
      settleMs,
    );
    const judged = watch.judge(windows, reverted?.at.getTime() ?? ep.revertAt, control.aborted?.reason);
    if (judged.verdict.deviationRatio !== null)
      this.metrics.steadyStateDeviation.set(labels, judged.verdict.deviationRatio);
    await this.runs.appendEvent(runId, {
      type: 'experiment.verdict',
      message: `${exp.name}: ${judged.verdict.verdict} (${judged.verdict.reason})`,
      experimentIndex: index,
      data: json({
        verdict: judged.verdict.verdict,
        deviationRatio: judged.verdict.deviationRatio,
        timeToRecoverMs: judged.timeToRecoverMs,
        windows,
      }),
    });
    return {
      index,
      name: exp.name,
      plan: ep,
      windows,
      targets: targetsOf(),
      ...judged,
      injectionSkewMs: applied?.skewMs ?? null,
      revertSkewMs: control.aborted ? null : (reverted?.skewMs ?? null),
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
  ): Promise<{ leases: FaultLease[]; pending: PreparedFault[] }> {
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
            expiresAt: dateOf(ep.revertAt),
            graceMs: SELF_EXPIRY_GRACE_MS,
            runId,
            experimentIndex: index,
            maxClockOffsetMs: this.config.GAMEDAY_MAX_CLOCK_OFFSET_MS,
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
    const lateBy = this.nowMs() - (ep.injectAt - MIN_ARM_LEAD_MS);
    if (lateBy > 0) {
      // Injecting late would shift the fault window the hypothesis is judged on: refuse, cleanly.
      await this.releaseAll(prepared, []);
      throw new Error(
        `arming finished ${lateBy} ms after its deadline (${MIN_ARM_LEAD_MS} ms before the injection instant): nothing was applied; make the baseline longer than arming takes on this engine`,
      );
    }
    // Layer 1: the revert is queued before anything is applied.
    await this.faultJobs.scheduleRevert(runId, index, dateOf(ep.revertAt));
    const leases: FaultLease[] = [];
    // Faults whose helper keeps no clock (container, exec/nsenter): applied from here at T0.
    const pending = prepared.filter((p) => faultCapabilities(p).clock !== 'helper');
    for (const p of prepared)
      if (!pending.includes(p))
        leases.push(
          await this.ledger.schedule(this.driver, p, { applyAt: dateOf(ep.injectAt), revertAt: dateOf(ep.revertAt) }),
        );
    await this.announceArmed(runId, leases, ep, prepared);
    return { leases, pending };
  }

  private async announceArmed(
    runId: string,
    leases: FaultLease[],
    ep: ExperimentPlan,
    prepared: PreparedFault[],
  ): Promise<void> {
    for (const l of leases) {
      await this.runs.appendEvent(runId, {
        type: 'fault.armed',
        message: `${l.kind} fault armed on ${l.containerName} (${l.strategy})`,
        experimentIndex: ep.index,
        plannedAt: dateOf(ep.injectAt),
        data: json({
          // the engine's clock against ours: the helper was handed T0/T1 in its own time
          clockOffset:
            prepared.find((p) => p.helperContainerId && p.helperContainerId === l.helperContainerId)?.clockOffset ??
            null,
          leaseId: l.id,
          strategy: l.strategy,
          containerId: l.containerId,
          netnsId: l.netnsId ?? null,
          helperContainerId: l.helperContainerId ?? null,
          handle: l.handle ?? null,
          applyArgv: l.applyArgv,
          revertArgv: l.revertArgv,
        }),
      });
    }
  }

  /** Reverts every unreverted lease of the run now. Returns how many were reverted. */
  async revertRun(runId: string, reason: string): Promise<number> {
    const open = await openLeases(this.leases, this.driver, (l) => l.runId === runId);
    const outcomes = await Promise.allSettled(
      open.map((lease) => revertLease(this.driver, this.leases, this.metrics, lease, reason, this.unrecorded)),
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
}

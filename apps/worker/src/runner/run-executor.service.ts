import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  combineVerdicts,
  fieldErrors,
  gameDaySpecSchema,
  isTerminal,
  planRun,
  readRunResult,
  scoreRun,
  type Clock,
  type ExperimentResult,
  type FaultDriver,
  type GameDaySpec,
  type LeaseRepository,
  type RunPlan,
  type RunStatus,
} from '@gameday/core';
import { FencedError, isConnectionLoss, ProbeSampleRepository, RunRepository, type Prisma } from '@gameday/db';
import { APP_CONFIG, CLOCK, type AppConfig } from '@gameday/config';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { EgressGuard } from '@gameday/probes';
import { ArmingPlanner } from './arming-planner';
import type { RunnerDeps } from './experiment-context';
import { runExperiment } from './experiment-runner';
import { FaultArming } from './fault-arming';
import { FaultConfirmation } from './fault-confirmation';
import { FaultJobs } from './fault-jobs.service';
import { FaultRelease } from './fault-release';
import { LeaseLedger } from './lease-ledger';
import { RunControl } from './run-control';
import { RunState } from './run-state';
import { SafetyLeverGuard } from './safety-lever.guard';
import { FAULT_DRIVER, LEASE_REPOSITORY } from './runner.tokens';
import { UnrecordedReverts } from './unrecorded-reverts';
import { WebhookNotifier } from './webhook-notifier';

const json = (v: unknown) => v as Prisma.InputJsonValue;

/** A run this executor holds: what it was loaded with and what its experiments gave so far. */
interface LoadedRun {
  runId: string;
  spec: GameDaySpec;
  plan: RunPlan;
  state: RunState;
  control: RunControl;
  /** this executor's fencing token */
  epoch: number;
  results: ExperimentResult[];
  /** the experiment the run stands at (a resumed run goes on from there) */
  from: number;
}

/**
 * Drives one Run through its lifecycle at the planned instants:
 * arming (alongside the baseline) → baseline → injecting → observing → rolling_back → recovery,
 * for each experiment in order (runExperiment, one phase handler per step), then the verdict.
 *
 * The fault itself never depends on this process staying alive: before anything is applied the
 * delayed revert job is queued (layer 1), the lease is in Postgres for the reaper (layer 2), and the
 * helper in the target's netns applies at T0 and reverts at T1 by its own clock, with a
 * self-expiry behind that (layer 3). The executor arms, watches, measures and decides; the samples
 * are judged by the windows as they really were (observedWindows), not by when this process
 * noticed a change.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger(RunExecutor.name);
  private readonly deps: RunnerDeps;
  /** who holds a run (recorded with the fencing token) */
  private readonly executorId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly runs: RunRepository,
    samples: ProbeSampleRepository,
    @Inject(FAULT_DRIVER) driver: FaultDriver,
    @Inject(LEASE_REPOSITORY) leases: LeaseRepository,
    faultJobs: FaultJobs,
    private readonly notifier: WebhookNotifier,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(EgressGuard) egress: EgressGuard,
    safetyLever: SafetyLeverGuard,
    private readonly unrecorded: UnrecordedReverts,
    private readonly armingPlanner: ArmingPlanner,
  ) {
    const ledger = new LeaseLedger(leases, clock);
    const release = new FaultRelease(driver, leases, metrics, unrecorded);
    const arming = new FaultArming({
      driver,
      runs,
      metrics,
      faultJobs,
      ledger,
      release,
      clock,
      maxClockOffsetMs: config.GAMEDAY_MAX_CLOCK_OFFSET_MS,
    });
    const confirm = new FaultConfirmation(driver, leases, runs, metrics, clock);
    this.deps = {
      runs,
      samples,
      driver,
      leases,
      faultJobs,
      notifier,
      metrics,
      clock,
      config,
      egress,
      safetyLever,
      unrecorded,
      confirm,
      ledger,
      arming,
      release,
    };
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  async execute(runId: string): Promise<void> {
    const run = await this.load(runId);
    if (!run) return;
    const { state, control } = run;
    control.watch();
    try {
      if (this.nowMs() > run.plan.endAt) return await this.windowPassed(run);
      await this.start(run);
      for (let i = run.from; i < run.plan.experiments.length; i++) {
        const result = await runExperiment(this.deps, {
          runId,
          spec: run.spec,
          plan: run.plan,
          index: i,
          state,
          control,
        });
        run.results[i] = result;
        await this.runs.saveProgress(runId, i, json({ experiments: run.results }), run.epoch);
        if (result.aborted) break;
      }
      await this.finish(run);
    } catch (error) {
      await this.fail(run, error);
    } finally {
      control.stop();
    }
  }

  /** The run as Postgres holds it, taken over by this executor; null when there is nothing to drive. */
  private async load(runId: string): Promise<LoadedRun | null> {
    // a run resumed after Postgres came back: what this worker reverted meanwhile is recorded
    // first, with its own instants and reasons, before this executor looks at the ledger
    await this.unrecorded.flush();
    const run = await this.runs.findById(runId);
    if (!run) throw new Error(`no run ${runId}`);
    if (isTerminal(run.status as RunStatus)) return null;

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
      return null;
    }
    const spec = parsed.data;
    // arming happens ahead of the baseline: a lead this engine learned, settled once per run
    const plan = planRun(
      run.scheduledFor.getTime(),
      spec.experiments,
      await this.armingPlanner.leadFor(run, spec.experiments),
    );
    const state = new RunState(this.runs, run.id, run.status as RunStatus, epoch);
    const control = new RunControl(() => this.runs.controlState(runId), this.clock);
    control.hold(runId, epoch);
    const results: ExperimentResult[] = [...readRunResult(run.result).experiments];
    return { runId, spec, plan, state, control, epoch, results, from: run.experimentIndex };
  }

  private async windowPassed({ runId, state }: LoadedRun): Promise<void> {
    await this.deps.release.revertRun(runId, 'run_window_passed');
    await state.to(
      'failed',
      {
        type: 'run.failed',
        message: 'the run window ended before a worker could drive it; any fault was reverted',
      },
      { finishedAt: this.clock.now(), error: 'run window passed' },
    );
  }

  private async start({ runId, state, from }: LoadedRun): Promise<void> {
    await this.runs.markStarted(runId, this.clock.now());
    if (from > 0 || state.status !== 'scheduled') {
      await this.runs.appendEvent(runId, {
        type: 'run.resumed',
        message: `resumed by a worker in ${state.status} of experiment ${from}`,
        phase: state.status,
      });
    }
  }

  /** Every experiment ran (or one was aborted): the run's verdict. */
  private async finish({ runId, spec, state, results }: LoadedRun): Promise<void> {
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
    // scored as the API scores the stored run (scoreRun over the same status, verdict and result)
    const { score } = scoreRun({ status: aborted ? 'aborted' : 'completed', verdict, experiments: results });
    if (score !== null) this.metrics.resilienceScore.set({ gameday: spec.name }, score);
    await this.notifier.notify(runId, spec, aborted ? 'run.aborted' : 'run.completed', {
      verdict,
      reason: aborted?.reason ?? results.map((r) => r.verdict.reason).join('; '),
    });
  }

  private async fail({ runId, spec, state, results }: LoadedRun, error: unknown): Promise<void> {
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
    await this.deps.release.revertRun(runId, 'run_failed');
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
  }
}

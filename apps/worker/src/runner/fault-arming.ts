import {
  KernelCapabilityError,
  type Clock,
  type ExperimentPlan,
  type ExperimentSpec,
  type FaultDriver,
  type FaultLease,
  type PreparedFault,
  STEP_HEARTBEAT_MS,
  stepPlan,
} from '@gameday/core';
import type { Prisma, RunRepository } from '@gameday/db';
import { faultCapabilities } from '@gameday/faults';
import type { GameDayMetrics } from '@gameday/metrics';
import { planOf, stepPrefix, type ArmedStep } from './armed-step';
import type { FaultJobs } from './fault-jobs.service';
import type { FaultRelease } from './fault-release';
import type { LeaseLedger } from './lease-ledger';
import type { RunControl } from './run-control';

/** The helper must be armed this long before T0 for injection to be on time. */
const MIN_ARM_LEAD_MS = 500;
/** The helper removes the fault on its own this long after the planned end if nobody did. */
const SELF_EXPIRY_GRACE_MS = 5_000;
const dateOf = (ms: number) => new Date(ms);
const json = (v: unknown) => v as Prisma.InputJsonValue;

export interface FaultArmingDeps {
  driver: FaultDriver;
  runs: RunRepository;
  metrics: GameDayMetrics;
  faultJobs: FaultJobs;
  ledger: LeaseLedger;
  release: FaultRelease;
  clock: Clock;
  /** how far the engine's clock may be from ours (GAMEDAY_MAX_CLOCK_OFFSET_MS) */
  maxClockOffsetMs: number;
}

/**
 * Arms one experiment ahead of its injection: for each of its faults (its one `fault` or each step)
 * resolves the targets, probes kernel features, starts helpers; queues the revert (layer 1) and
 * hands helpers that keep a clock their step's T0/T1. Faults applied from the worker at their T0
 * stay `pending` on their step.
 */
export class FaultArming {
  constructor(private readonly deps: FaultArmingDeps) {}

  /** Resolves targets, probes kernel features, starts helpers, queues the revert, schedules each T0/T1. */
  async arm(
    runId: string,
    exp: ExperimentSpec,
    ep: ExperimentPlan,
    index: number,
    prepared: PreparedFault[],
    control: RunControl,
  ): Promise<ArmedStep[]> {
    const { driver, metrics, release } = this.deps;
    const steps: ArmedStep[] = [];
    try {
      for (const planned of stepPlan(exp)) {
        const step: ArmedStep = {
          name: planned.name,
          fault: planned.fault,
          injectAt: ep.injectAt + planned.offsetMs,
          revertAt: ep.injectAt + planned.offsetMs + planned.durationMs,
          prepared: [],
          pending: [],
          leases: [],
          applied: null,
          reverted: null,
          notBegun: false,
        };
        steps.push(step);
        await this.prepareStep(runId, exp, index, step, prepared, control);
      }
    } catch (error) {
      await release.releaseAll(prepared, []);
      if (error instanceof KernelCapabilityError) metrics.faultInjections.inc({ result: 'refused', reason: 'kernel' });
      throw error;
    }
    const lateBy = this.deps.clock.now().getTime() - (ep.injectAt - MIN_ARM_LEAD_MS);
    if (lateBy > 0) {
      // Injecting late would shift the fault window the hypothesis is judged on: refuse, cleanly.
      await release.releaseAll(prepared, []);
      throw new Error(
        `arming finished ${lateBy} ms after its deadline (${MIN_ARM_LEAD_MS} ms before the injection instant): nothing was applied; make the baseline longer than arming takes on this engine`,
      );
    }
    // Layer 1: the revert is queued before anything is applied (every step ends by the window's end).
    await this.deps.faultJobs.scheduleRevert(runId, index, dateOf(ep.revertAt));
    for (const step of steps) {
      // Faults whose helper keeps no clock (container, exec/nsenter): applied from the worker at T0.
      step.pending = step.prepared.filter((p) => faultCapabilities(p).clock !== 'helper');
      for (const p of step.prepared)
        if (!step.pending.includes(p))
          step.leases.push(
            await this.deps.ledger.schedule(
              driver,
              p,
              {
                applyAt: dateOf(step.injectAt),
                revertAt: dateOf(step.revertAt),
                // a step begins only while a worker drives the run (a single fault: by its clock alone)
                ...(exp.steps ? { heartbeatMs: STEP_HEARTBEAT_MS } : {}),
              },
              step.name,
            ),
          );
      await this.announce(runId, step.leases, planOf(ep, step), prepared);
    }
    return steps;
  }

  /** One step's targets resolved and each prepared, to be gone by the step's end at the latest. */
  private async prepareStep(
    runId: string,
    exp: ExperimentSpec,
    index: number,
    step: ArmedStep,
    prepared: PreparedFault[],
    control: RunControl,
  ): Promise<void> {
    const { driver, runs } = this.deps;
    const resolution = await driver.resolveTargets(step.fault);
    await runs.appendEvent(runId, {
      type: 'targets.resolved',
      message: `${stepPrefix(step.name)}${resolution.targets.length} target(s): ${resolution.targets.map((t) => t.containerName).join(', ') || 'none'}`,
      experimentIndex: index,
      data: json({ ...JSON.parse(JSON.stringify(resolution)), ...(step.name ? { step: step.name } : {}) }),
    });
    if (resolution.targets.length === 0)
      throw new Error(
        `no target for experiment "${exp.name}"${step.name ? ` step "${step.name}"` : ''}: ${resolution.refused.map((r) => `${r.name}: ${r.reason}`).join('; ') || 'nothing matched'}`,
      );
    for (const target of resolution.targets) {
      const p = await driver.prepare(step.fault, target, {
        expiresAt: dateOf(step.revertAt),
        graceMs: SELF_EXPIRY_GRACE_MS,
        runId,
        experimentIndex: index,
        maxClockOffsetMs: this.deps.maxClockOffsetMs,
      });
      prepared.push(p);
      step.prepared.push(p);
      control.throwIfAborted();
    }
  }

  /** Puts each armed lease's commands on record (reports show what ran where). */
  async announce(runId: string, leases: FaultLease[], ep: ExperimentPlan, prepared: PreparedFault[]): Promise<void> {
    for (const l of leases) {
      await this.deps.runs.appendEvent(runId, {
        type: 'fault.armed',
        message: `${stepPrefix(l.details?.step)}${l.kind} fault armed on ${l.containerName} (${l.strategy})`,
        experimentIndex: ep.index,
        plannedAt: dateOf(ep.injectAt),
        data: json({
          // the engine's clock against ours: the helper was handed T0/T1 in its own time
          clockOffset:
            prepared.find((p) => p.helperContainerId && p.helperContainerId === l.helperContainerId)?.clockOffset ??
            null,
          leaseId: l.id,
          step: l.details?.step ?? null,
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
}

import {
  KernelCapabilityError,
  type Clock,
  type ExperimentPlan,
  type ExperimentSpec,
  type FaultDriver,
  type FaultLease,
  type PreparedFault,
} from '@gameday/core';
import type { Prisma, RunRepository } from '@gameday/db';
import { faultCapabilities } from '@gameday/faults';
import type { GameDayMetrics } from '@gameday/metrics';
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
 * Arms one experiment ahead of its injection: resolves the targets, probes kernel features, starts
 * helpers, queues the revert (layer 1) and hands helpers that keep a clock their T0/T1. Faults
 * applied from the worker at T0 come back as `pending`.
 */
export class FaultArming {
  constructor(private readonly deps: FaultArmingDeps) {}

  /** Resolves targets, probes kernel features, starts helpers, queues the revert, schedules T0/T1. */
  async arm(
    runId: string,
    exp: ExperimentSpec,
    ep: ExperimentPlan,
    index: number,
    prepared: PreparedFault[],
    control: RunControl,
  ): Promise<{ leases: FaultLease[]; pending: PreparedFault[] }> {
    const { driver, runs, metrics, release } = this.deps;
    const resolution = await driver.resolveTargets(exp.fault);
    await runs.appendEvent(runId, {
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
          await driver.prepare(exp.fault, target, {
            expiresAt: dateOf(ep.revertAt),
            graceMs: SELF_EXPIRY_GRACE_MS,
            runId,
            experimentIndex: index,
            maxClockOffsetMs: this.deps.maxClockOffsetMs,
          }),
        );
        control.throwIfAborted();
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
    // Layer 1: the revert is queued before anything is applied.
    await this.deps.faultJobs.scheduleRevert(runId, index, dateOf(ep.revertAt));
    const leases: FaultLease[] = [];
    // Faults whose helper keeps no clock (container, exec/nsenter): applied from here at T0.
    const pending = prepared.filter((p) => faultCapabilities(p).clock !== 'helper');
    for (const p of prepared)
      if (!pending.includes(p))
        leases.push(
          await this.deps.ledger.schedule(driver, p, { applyAt: dateOf(ep.injectAt), revertAt: dateOf(ep.revertAt) }),
        );
    await this.announce(runId, leases, ep, prepared);
    return { leases, pending };
  }

  /** Puts each armed lease's commands on record (reports show what ran where). */
  async announce(runId: string, leases: FaultLease[], ep: ExperimentPlan, prepared: PreparedFault[]): Promise<void> {
    for (const l of leases) {
      await this.deps.runs.appendEvent(runId, {
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
}

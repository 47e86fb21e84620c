import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import {
  LedgerArgvError,
  planRun,
  systemClock,
  type Clock,
  type FaultDriver,
  type FaultLease,
  type LeaseRepository,
  type RunStatus,
} from '@gameday/core';
import { APP_CONFIG, CLOCK, type AppConfig } from '@gameday/config';
import { RunRepository } from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { abortedLeases, expiredLeases, revertLease } from './lease-revert';
import { FAULT_DRIVER, LEASE_REPOSITORY } from './runner.tokens';
import { UnrecordedReverts } from './unrecorded-reverts';

/**
 * Rollback layer 2: from Postgres alone (it works after Redis lost everything), revert every
 * lease past its expiry, and every lease of a run whose emergency stop is recorded (so an abort
 * lands when its queued job never arrived), at start-up and then periodically. It also closes runs that no worker
 * drives any more (their planned end is long past), so they do not stay "observing" forever.
 */
@Injectable()
export class LeaseReaper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LeaseReaper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(FAULT_DRIVER) private readonly driver: FaultDriver,
    @Inject(LEASE_REPOSITORY) private readonly leases: LeaseRepository,
    @Inject(METRICS) private readonly metrics: GameDayMetrics,
    private readonly runs: RunRepository,
    private readonly unrecorded: UnrecordedReverts,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'GAMEDAY_REAPER_INTERVAL_MS' | 'GAMEDAY_ORPHAN_AFTER_MS'>,
    // a reaper built by hand (tests of the fault kinds) runs on the system's clock
    @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {
    this.intervalMs = config.GAMEDAY_REAPER_INTERVAL_MS;
    this.orphanAfterMs = config.GAMEDAY_ORPHAN_AFTER_MS;
  }

  intervalMs: number;
  /** a run still active this long after its planned end, holding no open lease, is orphaned */
  orphanAfterMs: number;

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep();
    const loop = () => {
      if (this.stopped) return;
      this.running = this.sweep()
        .then(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.intervalMs);
        });
    };
    this.timer = setTimeout(loop, this.intervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  async sweep(now = this.clock.now()): Promise<number> {
    let reverted = 0;
    // reverts this worker made while Postgres was away are recorded with their own instants first
    await this.unrecorded.flush();
    try {
      for (const lease of await expiredLeases(this.leases, this.driver, now)) {
        try {
          const r = await revertLease(this.driver, this.leases, this.metrics, lease, 'reaper', this.unrecorded);
          reverted++;
          await this.removeHelper(lease);
          if (lease.runId) {
            await this.runs.appendEvent(lease.runId, {
              type: 'fault.reaped',
              experimentIndex: lease.experimentIndex,
              message: `reaper reverted the expired fault on ${lease.containerName} (${r.outcome})`,
              at: r.at,
              data: { leaseId: lease.id, outcome: r.outcome },
            });
          }
        } catch (error) {
          await this.failed(lease, error);
        }
      }
      await this.revertAborted();
      await this.closeOrphans(now);
    } catch (error) {
      this.logger.error(`reaper sweep failed: ${(error as Error).message}`);
    }
    return reverted;
  }

  /** An abort-all can leave many faults to revert: in parallel, so the last is not held up by the first. */
  private async revertAborted(): Promise<void> {
    const aborted = await abortedLeases(this.leases, this.driver, (ids) => this.runs.abortRequestedAmong(ids));
    await Promise.all(
      aborted.map(async (lease) => {
        try {
          const r = await revertLease(this.driver, this.leases, this.metrics, lease, 'abort', this.unrecorded);
          await this.removeHelper(lease);
          await this.runs.appendEvent(lease.runId!, {
            type: 'fault.reverted',
            experimentIndex: lease.experimentIndex,
            message: `reaper reverted the fault on ${lease.containerName}: the run's abort is recorded (${r.outcome})`,
            at: r.at,
            data: { leaseId: lease.id, outcome: r.outcome, by: 'reaper' },
          });
        } catch (error) {
          await this.failed(lease, error);
        }
      }),
    );
  }

  /**
   * The reaper acts for a run nobody drives any more (its lease expired, or its abort is recorded):
   * nobody else will remove the fault's helper, a container with NET_ADMIN in the target's netns
   * that would otherwise idle there until its self-expiry. Best effort: the fault itself is gone.
   */
  private async removeHelper(lease: FaultLease): Promise<void> {
    await this.driver.release(lease).catch((error: Error) => {
      this.logger.warn(`reaper could not remove the helper of lease ${lease.id}: ${error.message}`);
    });
  }

  /**
   * A failed revert is tried again next sweep; a refused row (a command GameDay never writes) is
   * told once, in the log and on its run, and left to a human (revertLease recorded it).
   */
  private async failed(lease: FaultLease, error: unknown): Promise<void> {
    if (!(error instanceof LedgerArgvError)) {
      this.logger.error(
        `reaper could not revert lease ${lease.id} on ${lease.containerName}: ${(error as Error).message}`,
      );
      return;
    }
    this.logger.error(`reaper left lease ${lease.id} on ${lease.containerName} to a human: ${error.message}`);
    if (!lease.runId) return;
    await this.runs
      .appendEvent(lease.runId, {
        type: 'fault.revert_refused',
        experimentIndex: lease.experimentIndex,
        message: `the ledger row of the fault on ${lease.containerName} holds a command GameDay never writes: nothing was run from it; the lease is left open for a human (the helper still removes the fault at its expiry)`,
        data: {
          leaseId: lease.id,
          use: error.use,
          reason: error.reason,
          argv: JSON.stringify(error.argv).slice(0, 500),
        },
      })
      .catch(() => undefined);
  }

  private async closeOrphans(now: Date): Promise<void> {
    for (const run of await this.runs.listDriven()) {
      let endAt: number;
      try {
        endAt = planRun(
          run.scheduledFor.getTime(),
          (run.spec as { experiments: { durations: { baseline: string; fault: string; recovery: string } }[] })
            .experiments,
          // a driven run settled its lead before arming; none means it planned none
          run.armingLeadMs ?? 0,
        ).endAt;
      } catch {
        continue;
      }
      if (now.getTime() < endAt + this.orphanAfterMs) continue;
      if ((await this.leases.countOpenForRun(run.id)) > 0) continue;
      await this.runs.markOrphaned(run.id, run.status as RunStatus, now);
    }
  }
}

import type { FaultDriver, FaultLease, LeaseRepository, PreparedFault } from '@gameday/core';
import type { GameDayMetrics } from '@gameday/metrics';
import { openLeases, revertLease } from './lease-revert';
import type { UnrecordedReverts } from './unrecorded-reverts';

/** What the executor takes out of a run: its faults (reverted now) and its helpers (released). */
export class FaultRelease {
  constructor(
    private readonly driver: FaultDriver,
    private readonly leases: LeaseRepository,
    private readonly metrics: GameDayMetrics,
    private readonly unrecorded: UnrecordedReverts,
  ) {}

  /** Reverts every unreverted lease of the run now. Returns how many were reverted. */
  async revertRun(runId: string, reason: string): Promise<number> {
    const open = await openLeases(this.leases, this.driver, (l) => l.runId === runId);
    const outcomes = await Promise.allSettled(
      open.map((lease) => revertLease(this.driver, this.leases, this.metrics, lease, reason, this.unrecorded)),
    );
    return outcomes.filter((o) => o.status === 'fulfilled').length;
  }

  async releaseAll(prepared: PreparedFault[], leases: FaultLease[]): Promise<void> {
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

  /** The open leases of one experiment of the run. */
  openOf(runId: string, index: number): Promise<FaultLease[]> {
    return openLeases(this.leases, this.driver, (l) => l.runId === runId && l.experimentIndex === index);
  }
}

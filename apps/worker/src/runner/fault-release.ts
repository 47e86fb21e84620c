import type { AbortPath, FaultDriver, FaultLease, LeaseRepository, PreparedFault } from '@gameday/core';
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

  /**
   * Reverts every unreverted lease of the run now. Returns how many were reverted, and for an
   * abort how each reached its helper (the stdin line this worker holds, or a signal).
   */
  async revertRun(runId: string, reason: string): Promise<{ count: number; abortPaths: AbortPath[] }> {
    const open = await openLeases(this.leases, this.driver, (l) => l.runId === runId);
    const outcomes = await Promise.allSettled(
      open.map((lease) => revertLease(this.driver, this.leases, this.metrics, lease, reason, this.unrecorded)),
    );
    const done = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    return { count: done.length, abortPaths: done.flatMap((d) => (d.abortPath ? [d.abortPath] : [])) };
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

  /**
   * For an executor that lost its run to another: the helpers it armed that no lease names. The new
   * executor drives the run from the ledger and arms its own; these would be left for nobody (a
   * pause's watchdog told to stand down stayed behind, exited). Leased helpers stay: the run's.
   */
  async releaseUnleased(prepared: PreparedFault[], leases: FaultLease[]): Promise<void> {
    const leased = new Set(leases.map((l) => l.helperContainerId).filter(Boolean));
    await Promise.allSettled(
      prepared
        .filter((p) => p.helperContainerId && !leased.has(p.helperContainerId))
        .map((p) => this.driver.release(p)),
    );
  }

  /** The open leases of one experiment of the run. */
  openOf(runId: string, index: number): Promise<FaultLease[]> {
    return openLeases(this.leases, this.driver, (l) => l.runId === runId && l.experimentIndex === index);
  }
}

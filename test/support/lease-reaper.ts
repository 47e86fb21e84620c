import type { FaultDriver, LeaseRepository } from '@gameday/core';
import { RunRepository, type PrismaService } from '@gameday/db';
import { createMetrics } from '@gameday/metrics';
import { LeaseReaper } from '../../apps/worker/src/runner/lease-reaper.service';
import { UnrecordedReverts } from '../../apps/worker/src/runner/unrecorded-reverts';

// The "only the ledger is left" path of the fault-kind tests: the worker that armed a fault is
// gone (its helper too, in some), and the reaper reverts from the lease rows alone.

/** Moves leases' expiry two minutes into the past: the reaper's next sweep owns them. */
export async function expireLeases(prisma: PrismaService, ids: readonly string[]): Promise<void> {
  await prisma.activeFault.updateMany({
    where: { id: { in: [...ids] } },
    data: { expiresAt: new Date(Date.now() - 120_000) },
  });
}

/** One sweep of a reaper built on the real repositories (the product's orphan timeout); returns what it reverted. */
export async function sweepOnce(driver: FaultDriver, leases: LeaseRepository, prisma: PrismaService): Promise<number> {
  const reaper = new LeaseReaper(
    driver,
    leases,
    createMetrics({ defaults: false }),
    new RunRepository(prisma),
    new UnrecordedReverts(leases),
    { GAMEDAY_REAPER_INTERVAL_MS: 1_000, GAMEDAY_ORPHAN_AFTER_MS: 60_000 },
  );
  return reaper.sweep(new Date());
}

import {
  InMemoryLeaseRepository,
  systemClock,
  type FaultDriver,
  type FaultLease,
  type HelperTimeline,
  type RevertOutcome,
} from '@gameday/core';
import type { AppConfig } from '@gameday/config';
import type { RunRepository } from '@gameday/db';
import { createMetrics } from '@gameday/metrics';
import type { EngineQueues } from '@gameday/queue';
import { Registry } from 'prom-client';
import type { DryRunProcessor } from './dry-run.processor';
import { FaultJobs } from './fault-jobs.service';
import type { UnrecordedReverts } from './unrecorded-reverts';

/** A driver whose helpers' clocks took the faults out already; it records which helpers it removed. */
class HelperClockDriver {
  readonly engine = 'engine-a';
  released: (string | null | undefined)[] = [];
  async revert(): Promise<RevertOutcome> {
    return { reverted: true, result: { outcome: 'already_gone', at: new Date() } };
  }
  async readTimeline(): Promise<HelperTimeline> {
    return { state: 'reverted', revertedAt: new Date(), revertReason: 'scheduled' };
  }
  async release(lease: FaultLease): Promise<void> {
    this.released.push(lease.helperContainerId);
  }
}

async function setup() {
  const ledger = new InMemoryLeaseRepository();
  const driver = new HelperClockDriver();
  const lease = (runId: string, experimentIndex: number, helperContainerId: string) =>
    ledger.record({
      runId,
      experimentIndex,
      kind: 'stress',
      strategy: 'sidecar',
      engine: 'engine-a',
      containerId: `c-${helperContainerId}`,
      containerName: 'target',
      helperContainerId,
      applyArgv: [['gameday-helper', 'schedule']],
      revertArgv: [['gameday-helper', 'revert']],
      expiresAt: new Date(Date.now() - 1_000),
    });
  const unrecorded = { add: () => undefined, get: () => undefined, forget: () => undefined, flush: async () => 0 };
  const jobs = new FaultJobs(
    {} as AppConfig,
    driver as unknown as FaultDriver,
    ledger,
    { appendEvent: async () => undefined } as unknown as RunRepository,
    createMetrics({ registry: new Registry() }),
    {} as DryRunProcessor,
    unrecorded as unknown as UnrecordedReverts,
    { get: () => ({}) } as unknown as EngineQueues,
    systemClock,
  );
  return { ledger, driver, jobs, lease };
}

describe('FaultJobs.revert (rollback layer 1, acting for an executor that is gone)', () => {
  it('removes the helpers of the leases it closed, and no other', async () => {
    const { ledger, driver, jobs, lease } = await setup();
    const closed = await lease('run-1', 0, 'h1');
    // another experiment's fault, still in place, in a helper of its own
    await lease('run-2', 0, 'h2');

    expect(await jobs.revert('run-1', 'planned_end', 0)).toBe(1);

    expect((await ledger.get(closed.id))!.revertedAt).not.toBeNull();
    expect(driver.released).toEqual(['h1']);
  });
});

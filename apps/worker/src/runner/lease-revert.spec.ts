import { InMemoryLeaseRepository, LedgerArgvError, type FaultDriver, type FaultLease } from '@gameday/core';
import { createMetrics } from '@gameday/metrics';
import { abortedLeases, expiredLeases, heldForHuman, revertLease } from './lease-revert';
import { UnrecordedReverts } from './unrecorded-reverts';

const OURS = ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem'];
const NOW = new Date('2026-12-02T10:00:00Z');

/** The driver's side is not under test here: it only counts what it was asked to run. */
function countingDriver() {
  const reverts: string[] = [];
  const driver = {
    engine: 'engine-a',
    revert: (lease: FaultLease) => {
      reverts.push(lease.id);
      return Promise.resolve({ reverted: true, result: { outcome: 'reverted' as const, at: NOW } });
    },
    hasLiveHelper: () => Promise.resolve(false),
  } as unknown as FaultDriver;
  return { driver, reverts };
}

async function expiredLease(
  ledger: InMemoryLeaseRepository,
  revertArgv: string[][],
  other: Partial<Parameters<InMemoryLeaseRepository['record']>[0]> = {},
): Promise<FaultLease> {
  return ledger.record({
    runId: 'run-1',
    experimentIndex: 0,
    kind: 'network',
    strategy: 'nsenter',
    engine: 'engine-a',
    containerId: 'c1',
    containerName: 'target',
    applyArgv: [],
    verifyArgv: [['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']],
    revertArgv,
    expiresAt: new Date(NOW.getTime() - 60_000),
    ...other,
  });
}

describe('a lease row that holds a command GameDay never writes', () => {
  it('is refused before the driver is asked, recorded once, and then left to a human by the backstops', async () => {
    const ledger = new InMemoryLeaseRepository();
    const { driver, reverts } = countingDriver();
    const metrics = createMetrics({ defaults: false });
    const lease = await expiredLease(ledger, [['sh', '-c', 'touch /tmp/x']]);

    expect((await expiredLeases(ledger, driver, NOW)).map((l) => l.id)).toEqual([lease.id]);
    await expect(revertLease(driver, ledger, metrics, lease, 'reaper')).rejects.toBeInstanceOf(LedgerArgvError);
    // the reaper's next sweeps read the row again: it is recorded, so they pass it by
    const recorded = (await ledger.get(lease.id))!;
    expect(recorded).toMatchObject({ revertAttempts: 1, revertedAt: null });
    expect(recorded.lastError).toMatch(/^refused to run \["sh","-c","touch \/tmp\/x"\] from the lease ledger/);
    expect(heldForHuman(recorded)).toBe(true);
    expect(await expiredLeases(ledger, driver, NOW)).toEqual([]);
    expect(await abortedLeases(ledger, driver, async (ids) => ids)).toEqual([]);
    // a revert job that still holds the lease is refused again, without a second record
    await expect(revertLease(driver, ledger, metrics, recorded, 'planned_end')).rejects.toThrow(LedgerArgvError);
    expect((await ledger.get(lease.id))!.revertAttempts).toBe(1);
    expect(reverts).toEqual([]);
    expect((await metrics.faultReverts.get()).values).toEqual(
      expect.arrayContaining([expect.objectContaining({ labels: { result: 'refused', reason: 'reaper' }, value: 1 })]),
    );
  });

  it('is reverted as usual once a human puts the row right', async () => {
    const ledger = new InMemoryLeaseRepository();
    const { driver, reverts } = countingDriver();
    const metrics = createMetrics({ defaults: false });
    const lease = await expiredLease(ledger, [['ip', 'link', 'del', 'eth0']]);
    await expect(revertLease(driver, ledger, metrics, lease, 'reaper')).rejects.toThrow(/refused to run/);
    const fixed = { ...(await ledger.get(lease.id))!, revertArgv: [OURS] };
    expect(heldForHuman(fixed)).toBe(false);
    await revertLease(driver, ledger, metrics, fixed, 'reaper');
    expect(reverts).toEqual([lease.id]);
    expect((await ledger.get(lease.id))!.revertReason).toBe('reaper');
  });

  it('a failure of another kind is no refusal: the backstops keep trying', async () => {
    const ledger = new InMemoryLeaseRepository();
    const { driver } = countingDriver();
    const lease = await expiredLease(ledger, [OURS]);
    await ledger.recordRevertFailure(lease.id, 'engine unreachable');
    expect((await expiredLeases(ledger, driver, NOW)).map((l) => l.id)).toEqual([lease.id]);
  });
});

describe('a revert the ledger cannot record (Postgres away)', () => {
  /** The in-memory ledger, failing like an unreachable Postgres while `down`. */
  class FlakyLedger extends InMemoryLeaseRepository {
    down = false;
    override async markReverted(id: string, at: Date, reason: string): Promise<void> {
      if (this.down) throw new Error("Can't reach database server");
      return super.markReverted(id, at, reason);
    }
  }

  it("keeps the fault's own instant for the next revert, which finds it gone (a container fault's watchdog)", async () => {
    const ledger = new FlakyLedger();
    const lease = await expiredLease(ledger, [OURS]);
    const watchdogActedAt = new Date(NOW.getTime() + 38);
    const later = new Date(NOW.getTime() + 3_213);
    // the first revert stands the watchdog down and learns when it unpaused the target; the
    // watchdog is removed with it, so the second revert only finds the target already unpaused
    const results = [
      { outcome: 'reverted' as const, at: watchdogActedAt, removedBy: 'watchdog' as const },
      { outcome: 'already_gone' as const, at: later },
    ];
    const driver = {
      engine: 'engine-a',
      revert: () => Promise.resolve({ reverted: true, result: results.shift()! }),
    } as unknown as FaultDriver;
    const metrics = createMetrics({ defaults: false });
    const unrecorded = new UnrecordedReverts(ledger);

    ledger.down = true;
    await expect(revertLease(driver, ledger, metrics, lease, 'planned_end', unrecorded)).rejects.toThrow(
      /reach database/,
    );
    // who removed it is kept too: the watchdog at its deadline, not the revert that came to look
    expect(unrecorded.get(lease.id)).toEqual({ at: watchdogActedAt, reason: 'watchdog_deadline' });
    ledger.down = false;
    await revertLease(driver, ledger, metrics, lease, 'run_window_passed', unrecorded);
    expect(await ledger.get(lease.id)).toMatchObject({
      revertedAt: watchdogActedAt,
      revertReason: 'watchdog_deadline',
    });
    expect(unrecorded.size).toBe(0);
  });
});

describe("an abort's revert of a fault its helper's clock applied, before the run confirmed the apply", () => {
  it("records the helper's applied instant: the helper is removed right after, and the run's report must not say the step never began", async () => {
    const ledger = new InMemoryLeaseRepository();
    const lease = await expiredLease(ledger, [OURS], {
      strategy: 'sidecar',
      helperContainerId: 'h1',
      expiresAt: new Date(NOW.getTime() + 60_000),
    });
    const appliedAt = new Date(NOW.getTime() - 2_000);
    const driver = {
      engine: 'engine-a',
      revert: () => Promise.resolve({ reverted: true, result: { outcome: 'reverted' as const, at: NOW } }),
      readTimeline: () => Promise.resolve({ state: 'reverted', appliedAt, revertedAt: NOW }),
    } as unknown as FaultDriver;

    await revertLease(driver, ledger, createMetrics({ defaults: false }), lease, 'abort');
    expect(await ledger.get(lease.id)).toMatchObject({ injectedAt: appliedAt, revertedAt: NOW, revertReason: 'abort' });
  });
});

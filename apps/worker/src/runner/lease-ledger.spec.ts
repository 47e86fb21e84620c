import {
  InMemoryLeaseRepository,
  type ApplyOutcome,
  type FaultDriver,
  type FaultLease,
  type HandOverOutcome,
  type HelperTimeline,
  type LeaseDraft,
  type PreparedFault,
  type RevertOutcome,
} from '@gameday/core';
import { LeaseLedger, revertInstant, revertReason } from './lease-ledger';

const T = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));

describe('revertInstant', () => {
  it("records this worker's unrecorded revert when the fault was found gone", () => {
    expect(revertInstant({ outcome: 'already_gone', at: T(9) }, { known: { at: T(3), reason: 'abort' } })).toEqual(
      T(3),
    );
  });

  it("records the helper's own instant when its clock took the fault out", () => {
    const timeline = { state: 'reverted' as const, revertedAt: T(5) };
    expect(revertInstant({ outcome: 'already_gone', at: T(9) }, { timeline })).toEqual(T(5));
  });

  it("records the driver's instant when it removed the fault now", () => {
    expect(revertInstant({ outcome: 'reverted', at: T(9) }, { known: { at: T(3), reason: 'abort' } })).toEqual(T(9));
    expect(revertInstant({ outcome: 'already_gone', at: T(9) }, { timeline: { state: 'applied' } })).toEqual(T(9));
  });
});

describe('revertReason', () => {
  it('is the asker’s reason, unless the fault was never begun or its watchdog took it out', () => {
    expect(revertReason({}, 'planned_end')).toBe('planned_end');
    // a step its helper did not begin for want of the worker's heartbeat stays "not begun" on record
    expect(revertReason({ notBegun: true }, 'planned_end')).toBe('no_heartbeat');
    expect(revertReason({ removedBy: 'watchdog' }, 'planned_end')).toBe('watchdog_deadline');
  });
});

describe('LeaseLedger', () => {
  it('records a refusal once, and keeps the first revert', async () => {
    const repo = new InMemoryLeaseRepository();
    const ledger = new LeaseLedger(repo);
    const lease: FaultLease = await repo.record({
      experimentIndex: 0,
      kind: 'network',
      strategy: 'sidecar',
      engine: 'e',
      containerId: 'c',
      containerName: 'c',
      applyArgv: [],
      revertArgv: [],
      expiresAt: T(60),
    });
    await ledger.refused(lease, 'changed row');
    await ledger.refused({ ...lease, lastError: 'changed row' }, 'changed row');
    expect((await repo.get(lease.id))!.revertAttempts).toBe(1);
    await ledger.reverted(lease.id, T(1), 'planned_end');
    await ledger.reverted(lease.id, T(2), 'reaper');
    expect(await repo.get(lease.id)).toMatchObject({ revertedAt: T(1), revertReason: 'planned_end' });
  });
});

describe('LeaseLedger: every transition from what the driver reports', () => {
  const draft: LeaseDraft = {
    runId: 'run-1',
    experimentIndex: 0,
    kind: 'container',
    strategy: 'docker',
    engine: 'e',
    containerId: 'c',
    containerName: 'c',
    applyArgv: [['docker', 'pause', 'c']],
    revertArgv: [['docker', 'unpause', 'c']],
    plannedAt: T(0),
    expiresAt: T(60),
  };
  const prepared = {} as PreparedFault;
  const clock = { now: () => T(7) };

  /** A driver that reports what it is told to, and notes which rows existed when it acted. */
  function fakeDriver(
    repo: InMemoryLeaseRepository,
    report: {
      apply?: ApplyOutcome;
      handOver?: HandOverOutcome;
      timeline?: HelperTimeline;
      revert?: RevertOutcome;
    },
  ) {
    const seenOpen: number[] = [];
    const driver = {
      draftLease: () => draft,
      apply: async () => (seenOpen.push((await repo.listActive()).length), report.apply!),
      scheduleApply: async () => (seenOpen.push((await repo.listActive()).length), report.handOver!),
      readTimeline: async () => report.timeline!,
      revert: async () => report.revert!,
    } as unknown as FaultDriver;
    return { driver, seenOpen };
  }
  const only = async (repo: InMemoryLeaseRepository) => (await repo.get('lease-1'))!;

  it('records the lease before the driver applies, then when it took effect', async () => {
    const repo = new InMemoryLeaseRepository();
    const { driver, seenOpen } = fakeDriver(repo, { apply: { applied: true, at: T(3) } });
    const lease = await new LeaseLedger(repo, clock).apply(driver, prepared);
    expect(seenOpen).toEqual([1]);
    expect(lease.injectedAt).toEqual(T(3));
    expect(await only(repo)).toMatchObject({ injectedAt: T(3), revertedAt: null });
  });

  it('a failed apply that left nothing closes the lease (apply_failed / target_gone); one that may have left something keeps it open', async () => {
    for (const [outcome, closed] of [
      [{ applied: false, error: new Error('rolled back'), left: 'nothing', targetGone: false }, 'apply_failed'],
      [{ applied: false, error: new Error('restarted'), left: 'nothing', targetGone: true }, 'target_gone'],
      [{ applied: false, error: new Error('socket hang up'), left: 'unknown', targetGone: false }, null],
    ] as const) {
      const repo = new InMemoryLeaseRepository();
      const { driver } = fakeDriver(repo, { apply: outcome });
      await expect(new LeaseLedger(repo, clock).apply(driver, prepared)).rejects.toBe(outcome.error);
      expect(await only(repo)).toMatchObject({
        revertReason: closed,
        revertedAt: closed ? T(7) : null,
        lastError: outcome.error.message,
      });
      expect((await only(repo)).injectedAt).toBeUndefined();
    }
  });

  it('records the plan before the hand-over; a refused hand-over closes it as schedule_failed', async () => {
    const at = { applyAt: T(10), revertAt: T(20) };
    const repo = new InMemoryLeaseRepository();
    const ok = fakeDriver(repo, { handOver: { handedOver: true } });
    await new LeaseLedger(repo, clock).schedule(ok.driver, prepared, at);
    expect(ok.seenOpen).toEqual([1]);
    expect(await only(repo)).toMatchObject({ revertedAt: null });

    const repo2 = new InMemoryLeaseRepository();
    const error = new Error('helper said no');
    const refused = fakeDriver(repo2, { handOver: { handedOver: false, error } });
    await expect(new LeaseLedger(repo2, clock).schedule(refused.driver, prepared, at)).rejects.toBe(error);
    expect(await only(repo2)).toMatchObject({ revertedAt: T(7), revertReason: 'schedule_failed' });
  });

  it("records the helper's own instants, and a plan it could not apply", async () => {
    const repo = new InMemoryLeaseRepository();
    const lease = await repo.record(draft);
    const ledger = new LeaseLedger(repo, clock);
    await ledger.readTimeline(fakeDriver(repo, { timeline: { state: 'applied', appliedAt: T(10) } }).driver, lease);
    expect(await only(repo)).toMatchObject({ injectedAt: T(10), revertedAt: null });
    const timeline = { state: 'reverted' as const, revertedAt: T(20), revertReason: 'scheduled' };
    await ledger.readTimeline(fakeDriver(repo, { timeline }).driver, lease);
    expect(await only(repo)).toMatchObject({ revertedAt: T(20), revertReason: 'helper_scheduled' });

    const repo2 = new InMemoryLeaseRepository();
    const lease2 = await repo2.record(draft);
    await new LeaseLedger(repo2, clock).readTimeline(
      fakeDriver(repo2, { timeline: { state: 'apply_failed' } }).driver,
      lease2,
    );
    expect(await only(repo2)).toMatchObject({ revertedAt: T(7), revertReason: 'apply_failed' });
  });

  it('a revert is recorded with its instant; a failed one is counted and thrown', async () => {
    const repo = new InMemoryLeaseRepository();
    const lease = await repo.record(draft);
    const ledger = new LeaseLedger(repo, clock);
    const error = new Error('engine away');
    await expect(
      ledger.revert(fakeDriver(repo, { revert: { reverted: false, error } }).driver, lease, 'reaper'),
    ).rejects.toBe(error);
    expect(await only(repo)).toMatchObject({ revertedAt: null, revertAttempts: 1, lastError: 'engine away' });
    const result = { outcome: 'reverted' as const, at: T(30) };
    expect(
      await ledger.revert(fakeDriver(repo, { revert: { reverted: true, result } }).driver, lease, 'reaper'),
    ).toEqual(result);
    expect(await only(repo)).toMatchObject({ revertedAt: T(30), revertReason: 'reaper' });
  });

  it('a revert that failed because another closed the lease meanwhile is that revert, not a failure', async () => {
    const repo = new InMemoryLeaseRepository();
    const lease = await repo.record(draft);
    const ledger = new LeaseLedger(repo, clock);
    // the fault queue's revert closed the lease and removed the helper under this exec
    const driver = {
      revert: async () => {
        await repo.markReverted(lease.id, T(20), 'planned_end');
        return { reverted: false, error: new Error('gameday-helper revert failed with exit code 126') };
      },
    } as unknown as FaultDriver;
    expect(await ledger.revert(driver, lease, 'planned_end', { recordedBy: 'caller' })).toMatchObject({
      outcome: 'already_gone',
      at: T(20),
    });
    expect(await only(repo)).toMatchObject({ revertedAt: T(20), revertAttempts: 0, lastError: null });
  });

  it('leaves the record to a caller that knows a better instant', async () => {
    const repo = new InMemoryLeaseRepository();
    const lease = await repo.record(draft);
    const result = { outcome: 'already_gone' as const, at: T(30) };
    const driver = fakeDriver(repo, { revert: { reverted: true, result } }).driver;
    await new LeaseLedger(repo, clock).revert(driver, lease, 'reaper', { recordedBy: 'caller' });
    expect(await only(repo)).toMatchObject({ revertedAt: null });
  });
});

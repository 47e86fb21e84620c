import { InMemoryLeaseRepository, type FaultLease } from '@gameday/core';
import { LeaseLedger, revertInstant } from './lease-ledger';

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

import { InMemoryLeaseRepository, type FaultLease, type RevertResult } from '@gameday/core';
import { UnrecordedReverts } from './unrecorded-reverts';

/** The in-memory ledger, with a switch that makes it fail like an unreachable Postgres. */
class FlakyLedger extends InMemoryLeaseRepository {
  down = false;
  override async markReverted(id: string, at: Date, reason: string): Promise<void> {
    if (this.down) throw new Error("Can't reach database server");
    return super.markReverted(id, at, reason);
  }
}

const lease = (ledger: FlakyLedger): Promise<FaultLease> =>
  ledger.record({
    experimentIndex: 0,
    kind: 'container',
    strategy: 'docker',
    engine: 'engine-a',
    containerId: 'c1',
    containerName: 'target',
    applyArgv: [['docker', 'pause', 'c1']],
    revertArgv: [['docker', 'unpause', 'c1']],
    expiresAt: new Date('2026-12-02T10:00:10Z'),
  });

const result = (iso: string, outcome: RevertResult['outcome'] = 'reverted'): RevertResult => ({
  outcome,
  at: new Date(iso),
});

describe('UnrecordedReverts', () => {
  it('records a revert made while Postgres was away with its own instant once Postgres answers', async () => {
    const ledger = new FlakyLedger();
    const l = await lease(ledger);
    const pending = new UnrecordedReverts(ledger);
    ledger.down = true;
    pending.add(new Map([[l.id, result('2026-12-02T10:00:05Z')]]), 'run_failed');
    await pending.flush(); // refused: kept, and flush does not throw
    expect(pending.size).toBe(1);
    expect((await ledger.get(l.id))!.revertedAt).toBeFalsy();

    ledger.down = false;
    await pending.flush();
    expect(pending.size).toBe(0);
    const row = (await ledger.get(l.id))!;
    expect(row.revertedAt).toEqual(new Date('2026-12-02T10:00:05Z'));
    expect(row.revertReason).toBe('run_failed');
  });

  it('keeps the first instant: a later revert of the same lease only found it gone', async () => {
    const ledger = new FlakyLedger();
    const l = await lease(ledger);
    const pending = new UnrecordedReverts(ledger);
    ledger.down = true;
    pending.add(new Map([[l.id, result('2026-12-02T10:00:10Z')]]), 'planned_end');
    pending.add(new Map([[l.id, result('2026-12-02T10:00:11Z', 'already_gone')]]), 'run_failed');
    ledger.down = false;
    await pending.flush();
    const row = (await ledger.get(l.id))!;
    expect(row.revertedAt).toEqual(new Date('2026-12-02T10:00:10Z'));
    expect(row.revertReason).toBe('planned_end');
  });

  it('leaves a lease the ledger already closed as it was', async () => {
    const ledger = new FlakyLedger();
    const l = await lease(ledger);
    await ledger.markReverted(l.id, new Date('2026-12-02T10:00:10.004Z'), 'planned_end');
    const pending = new UnrecordedReverts(ledger);
    pending.add(new Map([[l.id, result('2026-12-02T10:00:12Z')]]), 'run_failed');
    await pending.flush();
    expect(pending.size).toBe(0);
    expect((await ledger.get(l.id))!.revertedAt).toEqual(new Date('2026-12-02T10:00:10.004Z'));
  });
});

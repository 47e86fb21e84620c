import { InMemoryLeaseRepository, type LeaseRepository } from '@gameday/core';
import { offendingLines, PRODUCT_SOURCES } from '../../../test/support/product-files';

/** Every method of the lease repository that changes a row; the test below keeps the list complete. */
const WRITES = [
  'record',
  'markInjected',
  'markReverted',
  'recordRevertFailure',
  'claimRevert',
] as const satisfies readonly (keyof LeaseRepository)[];

/** The one decider (the worker's ledger) and the repositories themselves. */
const WRITERS = [
  'apps/worker/src/runner/lease-ledger.ts',
  'libs/db/src/lease.repository.ts',
  'libs/core/src/faults/fault-lease.ts',
];

// `record` is a common word (z.record): only a call on something named like a lease store counts
const namedWrites = WRITES.filter((w) => w !== 'record').join('|');
const WRITE_CALL = new RegExp(`\\.(${namedWrites})\\s*\\(|\\bleases?\\w*\\.record\\s*\\(`, 'i');

describe('the lease ledger has one decider', () => {
  it('no file of the fault engine writes a lease, or holds a lease repository', () => {
    expect(offendingLines(WRITE_CALL, ['libs/faults/src'])).toEqual([]);
    expect(offendingLines(/\bLeaseRepository\b|@gameday\/db/, ['libs/faults/src'])).toEqual([]);
  });

  it("outside the repositories, only the worker's ledger writes a lease", () => {
    expect(offendingLines(WRITE_CALL, PRODUCT_SOURCES, (f) => WRITERS.includes(f))).toEqual([]);
  });

  it('the list of writes is the repository’s: every other method only reads', () => {
    const methods = Object.getOwnPropertyNames(InMemoryLeaseRepository.prototype).filter(
      (m) => m !== 'constructor' && m !== 'must',
    );
    const others = methods.filter((m) => !(WRITES as readonly string[]).includes(m));
    expect(others.filter((m) => !/^(get|list|count)/.test(m))).toEqual([]);
    expect(methods).toEqual(expect.arrayContaining([...WRITES]));
  });

  it('finds a write where there is one (the check itself can fail)', () => {
    expect('await this.options.leases.markReverted(lease.id, now, "x");').toMatch(WRITE_CALL);
    expect('const lease = await this.leases.record(draft);').toMatch(WRITE_CALL);
    expect('z.record(z.string(), z.number())').not.toMatch(WRITE_CALL);
  });
});

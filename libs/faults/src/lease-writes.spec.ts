import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InMemoryLeaseRepository, type LeaseRepository } from '@gameday/core';

const ROOT = join(__dirname, '../../..');

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

function productFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return ['node_modules', 'generated', 'dist'].includes(e.name) ? [] : productFiles(path);
    return /\.tsx?$/.test(e.name) && !/\.spec\.tsx?$/.test(e.name) ? [path] : [];
  });
}

function offenders(pattern: RegExp, dirs: string[], allowed: string[] = []): string[] {
  return dirs
    .flatMap((d) => productFiles(join(ROOT, d)))
    .map((f) => relative(ROOT, f))
    .filter((f) => !allowed.includes(f))
    .flatMap((f) =>
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
}

// `record` is a common word (z.record): only a call on something named like a lease store counts
const namedWrites = WRITES.filter((w) => w !== 'record').join('|');
const WRITE_CALL = new RegExp(`\\.(${namedWrites})\\s*\\(|\\bleases?\\w*\\.record\\s*\\(`, 'i');

const SOURCES = [
  ...readdirSync(join(ROOT, 'apps')).map((a) => `apps/${a}/src`),
  ...readdirSync(join(ROOT, 'libs')).map((l) => `libs/${l}/src`),
].filter((d) => {
  try {
    return readdirSync(join(ROOT, d)).length > 0;
  } catch {
    return false;
  }
});

describe('the lease ledger has one decider', () => {
  it('no file of the fault engine writes a lease, or holds a lease repository', () => {
    expect(offenders(WRITE_CALL, ['libs/faults/src'])).toEqual([]);
    expect(offenders(/\bLeaseRepository\b|@gameday\/db/, ['libs/faults/src'])).toEqual([]);
  });

  it("outside the repositories, only the worker's ledger writes a lease", () => {
    expect(offenders(WRITE_CALL, SOURCES, WRITERS)).toEqual([]);
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

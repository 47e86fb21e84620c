import type { FaultLease, PreparedFault } from '@gameday/core';

/**
 * A lease's kind part, as the kind's module types it (`T`). The row is data written by that module
 * (or by the previous version, read back in this shape: core's leaseDetailsOf), so every field may
 * be missing: the module checks what it needs, as it did before.
 */
export function kindPart<T extends object>(lease: Pick<FaultLease, 'details'>): Partial<T> {
  return (lease.details?.kindPart ?? {}) as Partial<T>;
}

/**
 * What a kind armed in its prepare (`A`), for that kind's module (and tests looking into one):
 * the dispatcher hands a prepared fault only to the module of its kind. `missing` names the bug
 * when a prepared fault comes without it.
 */
export function armedPart<A>(prepared: Pick<PreparedFault, 'armed'>, missing: string): A {
  if (prepared.armed === undefined) throw new Error(missing);
  return prepared.armed as A;
}

import type { DryRunTarget, FaultLease, PreparedFault, ResolvedTarget } from '@gameday/core';

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

/**
 * A kind's own fields beside the shared ones of a resolved target or of a dry run's target, as its
 * module types them (`P`, core's KindFields): any may be missing (a target resolved by the
 * dispatcher, a plan read back from JSON), so the module checks what it needs.
 */
export function kindFields<P extends object>(shape: ResolvedTarget | DryRunTarget): Partial<P> {
  return shape as Partial<P>;
}

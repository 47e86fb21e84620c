import { faultTargets } from '../faults/fault.schema';
import type { GameDaySpec } from './gameday.schema';
import { formatPath, type FieldError } from './field-errors';
import { experimentFaults } from './experiment-steps';

const fieldOf = (i: number, path: (string | number)[], leaf: string[]) =>
  formatPath(['experiments', i, ...path, ...leaf]);

/**
 * Fault options that widen what a fault may touch beyond the opted-in container's own network
 * namespace: an admin's choice, not an operator's (the API answers an operator 403 naming them).
 */
export const ADMIN_ONLY_MESSAGES = Object.freeze({
  allowPrivileged:
    'allowPrivileged lets a fault act beside a privileged container (which can reach its host): only an admin may set it',
  nsenter:
    "the nsenter strategy runs tc from the worker, with its privileges on the Docker host, in the target's namespace: only an admin may choose it",
});

/** The admin-only options a spec uses, one per field. */
export function adminOnlyFields(spec: GameDaySpec): (FieldError & { experimentIndex: number })[] {
  return spec.experiments.flatMap((e, i) => {
    const out: (FieldError & { experimentIndex: number })[] = [];
    for (const { fault, path } of experimentFaults(e)) {
      for (const ref of faultTargets(fault))
        if (ref.target.allowPrivileged === true)
          out.push({
            experimentIndex: i,
            field: fieldOf(i, [...path, ...ref.path], ['allowPrivileged']),
            message: ADMIN_ONLY_MESSAGES.allowPrivileged,
          });
      // any kind that runs through a strategy: nsenter is the worker's own privileges, whatever the kind
      if ('strategy' in fault && fault.strategy === 'nsenter')
        out.push({ experimentIndex: i, field: fieldOf(i, path, ['strategy']), message: ADMIN_ONLY_MESSAGES.nsenter });
    }
    return out;
  });
}

/**
 * The admin-only options an edit would introduce: those of `spec` except where the stored spec
 * has the very same fault at the same place (an operator may keep an admin's choice, e.g. edit
 * the schedule, but not make one or aim it elsewhere).
 */
export function newAdminOnlyFields(spec: GameDaySpec, stored?: GameDaySpec): FieldError[] {
  return adminOnlyFields(spec)
    .filter((f) => {
      // the experiment's faults as a whole: a step moved or added is a new choice
      const faultsOf = (e: GameDaySpec['experiments'][number] | undefined) =>
        e ? experimentFaults(e).map((x) => x.fault) : undefined;
      const before = Array.isArray(stored?.experiments) ? faultsOf(stored.experiments[f.experimentIndex]) : undefined;
      return (
        before === undefined || canonicalJson(before) !== canonicalJson(faultsOf(spec.experiments[f.experimentIndex]))
      );
    })
    .map(({ field, message }) => ({ field, message }));
}

/** JSON with object keys sorted: Postgres' jsonb does not keep key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

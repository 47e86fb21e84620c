import type { GameDaySpec } from './gameday.schema';
import type { FieldError } from './field-errors';

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
    if (e.fault.target.allowPrivileged === true)
      out.push({
        experimentIndex: i,
        field: `experiments[${i}].fault.target.allowPrivileged`,
        message: ADMIN_ONLY_MESSAGES.allowPrivileged,
      });
    // any kind that runs through a strategy: nsenter is the worker's own privileges, whatever the kind
    if ('strategy' in e.fault && e.fault.strategy === 'nsenter')
      out.push({ experimentIndex: i, field: `experiments[${i}].fault.strategy`, message: ADMIN_ONLY_MESSAGES.nsenter });
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
      const before = Array.isArray(stored?.experiments) ? stored.experiments[f.experimentIndex]?.fault : undefined;
      return before === undefined || canonicalJson(before) !== canonicalJson(spec.experiments[f.experimentIndex].fault);
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

import type { AppConfig } from '@gameday/config';
import {
  EXEC_STRATEGY_REFUSED,
  experimentFaults,
  formatPath,
  isPrometheusProbe,
  newAdminOnlyFields,
  NO_PROMETHEUS,
  usesExecStrategy,
  type GameDaySpec,
} from '@gameday/core';
import type { EgressGuard } from '@gameday/probes';
import type { Principal } from '../auth/auth.decorators';
import { PROBLEM_TYPES, ProblemException, validationProblem } from '../common/problem';
import { egressErrors } from './egress-check';

// What a GameDay may ask for, checked before it is stored: by the caller's role, and by this
// deployment's policy (what the worker would refuse to do).

/**
 * Options that widen what a fault may touch (allowPrivileged, the nsenter strategy) are an
 * admin's choice: an operator sending them gets 403 naming each field (keeping what an admin set
 * is fine). 403, not 400: the same body from an admin is valid.
 */
export function assertAllowedForRole(spec: GameDaySpec, principal: Principal, stored?: GameDaySpec): void {
  if (principal.role === 'admin') return;
  const errors = newAdminOnlyFields(spec, stored);
  if (errors.length === 0) return;
  throw new ProblemException({
    type: PROBLEM_TYPES.adminOnly,
    title: 'Forbidden',
    status: 403,
    detail: `only an admin may set ${errors.map((e) => e.field).join(', ')}`,
    errors,
  });
}

/**
 * What the worker would refuse to do (egress, exec strategy, prometheus probes without a
 * Prometheus) is refused here, naming the field.
 */
export async function assertAllowedByPolicy(
  spec: GameDaySpec,
  config: Pick<AppConfig, 'GAMEDAY_ALLOW_EXEC_STRATEGY' | 'GAMEDAY_PROMETHEUS_URL'>,
  egress: EgressGuard,
): Promise<void> {
  const exec = config.GAMEDAY_ALLOW_EXEC_STRATEGY
    ? []
    : spec.experiments.flatMap((e, i) =>
        experimentFaults(e).flatMap(({ fault, path }) =>
          usesExecStrategy(fault)
            ? [{ field: formatPath(['experiments', i, ...path, 'strategy']), message: EXEC_STRATEGY_REFUSED }]
            : [],
        ),
      );
  const prometheus = config.GAMEDAY_PROMETHEUS_URL
    ? []
    : spec.experiments.flatMap((e, i) =>
        e.hypothesis.probes.flatMap((p, j) =>
          isPrometheusProbe(p)
            ? [{ field: `experiments[${i}].hypothesis.probes[${j}].kind`, message: NO_PROMETHEUS }]
            : [],
        ),
      );
  const errors = [...exec, ...prometheus, ...(await egressErrors(spec, egress))];
  if (errors.length > 0) throw validationProblem(errors);
}

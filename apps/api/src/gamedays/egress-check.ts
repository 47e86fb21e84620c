import { isPrometheusProbe, type FieldError, type GameDaySpec } from '@gameday/core';
import type { EgressGuard } from '@gameday/probes';

/** A name that does not answer this fast is checked again when the request is sent. */
const RESOLVE_BUDGET_MS = 2_000;

/**
 * Every URL the worker would send to (probes, load, webhooks), checked against the egress policy
 * at create and edit. A literal address or a name that resolves now must be allowed; a name that
 * does not resolve (yet) passes here and is checked again at request time.
 */
export async function egressErrors(spec: GameDaySpec, guard: EgressGuard): Promise<FieldError[]> {
  const urls: [field: string, url: string][] = [];
  spec.experiments.forEach((e, i) => {
    e.hypothesis.probes.forEach((p, j) => {
      // a prometheus probe goes to the configured Prometheus, which is the admin's choice
      if (!isPrometheusProbe(p)) urls.push([`experiments[${i}].hypothesis.probes[${j}].url`, p.url]);
    });
    if (e.load) urls.push([`experiments[${i}].load.url`, e.load.url]);
  });
  spec.webhooks?.forEach((w, i) => urls.push([`webhooks[${i}].url`, w.url]));
  const checks = await Promise.all(
    urls.map(async ([field, url]) => {
      const result = await Promise.race([
        guard.check(url),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), RESOLVE_BUDGET_MS).unref()),
      ]);
      return result && !result.ok && result.kind === 'egress_denied' ? [{ field, message: result.reason }] : [];
    }),
  );
  return checks.flat();
}

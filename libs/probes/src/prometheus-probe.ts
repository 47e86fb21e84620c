import { systemClock, type Clock, type Sample } from '@gameday/core';

export interface PrometheusQuerySpec {
  kind: 'prometheus';
  name: string;
  /** a PromQL instant query that yields one number: a scalar or a one-series vector */
  query: string;
  /** the healthy range: a value outside it is recorded as an `out_of_range` error */
  min?: number;
  max?: number;
  timeoutMs: number;
}

type QueryAnswer =
  | { status: 'success'; data: { resultType: 'scalar'; result: [number, string] } }
  | { status: 'success'; data: { resultType: 'vector'; result: { value: [number, string] }[] } }
  | { status: 'success'; data: { resultType: 'matrix' | 'string'; result: unknown } }
  | { status: 'error'; errorType?: string; error?: string };

/** The one number a query answered, or why there is none. */
function valueOf(answer: QueryAnswer): { value: number } | { errorKind: string } {
  if (answer.status !== 'success') return { errorKind: 'query_error' };
  const { data } = answer;
  let text: string;
  if (data.resultType === 'scalar') text = data.result[1];
  else if (data.resultType === 'vector') {
    if (data.result.length === 0) return { errorKind: 'no_data' };
    if (data.result.length > 1) return { errorKind: 'many_series' };
    text = data.result[0].value[1];
  } else return { errorKind: 'query_error' };
  const value = Number(text);
  // 0/0 (an error ratio with no traffic) is NaN in PromQL: no measure, not a healthy zero
  return Number.isFinite(value) ? { value } : { errorKind: 'no_data' };
}

/**
 * One evaluation of a PromQL instant query on Prometheus's HTTP API. Never throws: a failed
 * query, no data or several series are error samples without a value; a value outside [min, max]
 * is an error sample with its value. `durationMs` is how long the query took. No egress guard:
 * the destination is the admin's GAMEDAY_PROMETHEUS_URL; an operator chooses only the query.
 */
export async function queryOnce(
  spec: PrometheusQuerySpec,
  prometheusUrl: string,
  clock: Clock = systemClock,
): Promise<Sample> {
  const at = clock.now().getTime();
  const started = process.hrtime.bigint();
  const elapsed = () => Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3;
  const url = new URL('api/v1/query', prometheusUrl.endsWith('/') ? prometheusUrl : `${prometheusUrl}/`);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: spec.query, timeout: `${spec.timeoutMs}ms` }),
      redirect: 'error',
      signal: AbortSignal.timeout(spec.timeoutMs),
    });
    const answer = (await res.json().catch(() => ({ status: 'error' }))) as QueryAnswer;
    const result = valueOf(answer);
    if ('errorKind' in result) return { at, durationMs: elapsed(), ok: false, status: res.status, ...result };
    const inRange =
      (spec.min === undefined || result.value >= spec.min) && (spec.max === undefined || result.value <= spec.max);
    return {
      at,
      durationMs: elapsed(),
      ok: inRange,
      status: res.status,
      value: result.value,
      ...(inRange ? {} : { errorKind: 'out_of_range' }),
    };
  } catch (err) {
    const name = (err as Error).name;
    const errorKind = name === 'TimeoutError' || name === 'AbortError' ? 'query_timeout' : 'query_error';
    return { at, durationMs: elapsed(), ok: false, errorKind };
  }
}

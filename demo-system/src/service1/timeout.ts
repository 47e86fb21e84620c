/** The original PyCon AU demo flag: `?pyconau-demo=true` means a 300 ms upstream timeout. */
export const PYCONAU_DEMO_TIMEOUT_MS = 300;
export const MAX_TIMEOUT_MS = 600_000;

export type TimeoutParse = { ok: true; timeoutMs: number | undefined } | { ok: false; error: string };

/**
 * Reads the upstream timeout from the query string. `timeout_ms` wins over the alias; no flag means
 * "wait as long as the upstream takes", which is the behaviour the GameDay sets out to expose.
 */
export function parseTimeout(query: URLSearchParams): TimeoutParse {
  const raw = query.get('timeout_ms');
  if (raw !== null) {
    if (!/^\d+$/.test(raw))
      return { ok: false, error: `timeout_ms must be a whole number of milliseconds, got "${raw}"` };
    const ms = Number(raw);
    if (ms < 1 || ms > MAX_TIMEOUT_MS)
      return { ok: false, error: `timeout_ms must be between 1 and ${MAX_TIMEOUT_MS}, got ${ms}` };
    return { ok: true, timeoutMs: ms };
  }
  const demo = query.get('pyconau-demo');
  if (demo !== null) {
    if (demo === 'true' || demo === '1' || demo === '') return { ok: true, timeoutMs: PYCONAU_DEMO_TIMEOUT_MS };
    if (demo === 'false' || demo === '0') return { ok: true, timeoutMs: undefined };
    return { ok: false, error: `pyconau-demo must be true or false, got "${demo}"` };
  }
  return { ok: true, timeoutMs: undefined };
}

import { parseTimeout, PYCONAU_DEMO_TIMEOUT_MS } from './timeout';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

describe('parseTimeout', () => {
  it.each([
    ['', undefined],
    ['timeout_ms=300', 300],
    ['timeout_ms=1', 1],
    ['timeout_ms=600000', 600000],
    ['pyconau-demo=true', PYCONAU_DEMO_TIMEOUT_MS],
    ['pyconau-demo=1', 300],
    ['pyconau-demo', 300],
    ['pyconau-demo=false', undefined],
    ['pyconau-demo=true&timeout_ms=50', 50],
    ['other=1', undefined],
  ])('%s → %s ms', (query, expected) => {
    expect(parseTimeout(q(query))).toEqual({ ok: true, timeoutMs: expected });
  });

  it.each([
    ['timeout_ms=abc', /timeout_ms must be a whole number/],
    ['timeout_ms=-5', /timeout_ms must be a whole number/],
    ['timeout_ms=1.5', /timeout_ms must be a whole number/],
    ['timeout_ms=', /timeout_ms must be a whole number/],
    ['timeout_ms=0', /timeout_ms must be between 1 and 600000/],
    ['timeout_ms=600001', /timeout_ms must be between/],
    ['pyconau-demo=maybe', /pyconau-demo must be true or false/],
  ])('%s is rejected naming the field', (query, message) => {
    const r = parseTimeout(q(query));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

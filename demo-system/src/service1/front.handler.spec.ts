import { FrontDeps, handleFront } from './front.handler';
import { UpstreamResult } from './upstream.client';

function deps(result: UpstreamResult): FrontDeps & { calls: Array<number | undefined>; timeouts: number } {
  const d = {
    upstreamUrl: 'http://service2:8001/',
    calls: [] as Array<number | undefined>,
    timeouts: 0,
    fetchUpstream: async (_url: string, timeoutMs: number | undefined) => {
      d.calls.push(timeoutMs);
      return result;
    },
    onTimeout: () => {
      d.timeouts += 1;
    },
  };
  return d;
}
const page = '<h1>Data</h1><p><table><tr><td>joe</td><td>cool</td></tr></table></p>';

describe('handleFront', () => {
  it('returns the upstream body unchanged and waits without a flag', async () => {
    const d = deps({ kind: 'ok', status: 200, body: page });
    await expect(handleFront(new URL('http://x/'), d)).resolves.toEqual({ status: 200, body: page });
    expect(d.calls).toEqual([undefined]);
  });

  it('answers 500 and counts the timeout when the upstream is too slow', async () => {
    const d = deps({ kind: 'timeout' });
    const r = await handleFront(new URL('http://x/?pyconau-demo=true'), d);
    expect(r.status).toBe(500);
    expect(r.body).toContain('300 ms');
    expect(d.calls).toEqual([300]);
    expect(d.timeouts).toBe(1);
  });

  it('answers 400 naming the field, without calling the upstream', async () => {
    const d = deps({ kind: 'ok', status: 200, body: page });
    const r = await handleFront(new URL('http://x/?timeout_ms=soon'), d);
    expect(r.status).toBe(400);
    expect(r.body).toContain('timeout_ms');
    expect(d.calls).toEqual([]);
  });

  it.each([
    [{ kind: 'ok', status: 503, body: 'x' } as UpstreamResult, /upstream answered 503/],
    [{ kind: 'error', error: 'ECONNREFUSED' } as UpstreamResult, /ECONNREFUSED/],
  ])('maps upstream failures to 502', async (result, body) => {
    const d = deps(result);
    const r = await handleFront(new URL('http://x/?timeout_ms=300'), d);
    expect(r.status).toBe(502);
    expect(r.body).toMatch(body);
    expect(d.timeouts).toBe(0);
  });
});

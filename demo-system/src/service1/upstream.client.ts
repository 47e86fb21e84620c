import { request } from 'node:http';

export type UpstreamResult =
  { kind: 'ok'; status: number; body: string } | { kind: 'timeout' } | { kind: 'error'; error: string };

/**
 * One GET on a fresh TCP connection (no agent, no keep-alive). That is deliberate: the classic demo
 * is slow under netem because every request pays the handshake and each delayed packet again, and a
 * pooled client would hide most of that.
 */
export function fetchUpstream(url: string, timeoutMs: number | undefined): Promise<UpstreamResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: UpstreamResult): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(r);
    };
    const req = request(url, { method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        settle({ kind: 'ok', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (e) => settle({ kind: 'error', error: e.message }));
    });
    // The timer covers the whole exchange (connect, request, body), not just idle time: the caller's
    // promise is "an answer within N ms".
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            settle({ kind: 'timeout' });
            req.destroy();
          }, timeoutMs);
    req.on('error', (e) => settle({ kind: 'error', error: e.message }));
    req.end();
  });
}

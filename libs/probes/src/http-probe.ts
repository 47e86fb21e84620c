import * as http from 'node:http';
import * as https from 'node:https';
import { headersProblem, systemClock, type Clock, type Sample } from '@gameday/core';
import { EgressGuard } from './egress-guard';

export interface HttpProbeSpec {
  kind?: 'http';
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** statuses that count as success; default: any 2xx/3xx */
  expectedStatus?: number[];
  timeoutMs: number;
}

export type ProbeErrorKind =
  | 'timeout'
  | 'connect_refused'
  | 'connect_reset'
  | 'status_mismatch'
  | 'dns'
  | 'network'
  | 'egress_denied'
  /** the request could not be sent as written (a header HTTP forbids, an unparsable URL): never sent */
  | 'invalid_request';

function errorKind(error: NodeJS.ErrnoException): ProbeErrorKind {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connect_refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connect_reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    default:
      return 'network';
  }
}

/**
 * One request on a fresh connection (no keep-alive), the way `time curl` measures it: connection
 * set-up is part of what a user waits for, and a netem delay shows on the SYN as well.
 * Never throws nor rejects: failures are samples too. Headers HTTP forbids (a stored row older
 * than the API's check, or changed behind it) are an `invalid_request` sample and never sent;
 * with an egress guard the destination is resolved and checked first, and a denied one is
 * recorded as an `egress_denied` sample and never sent.
 */
export async function probeOnce(
  spec: HttpProbeSpec,
  egress?: EgressGuard,
  clock: Clock = systemClock,
): Promise<Sample> {
  const at = clock.now().getTime();
  const started = process.hrtime.bigint();
  const elapsed = () => Math.round((Number(process.hrtime.bigint() - started) / 1e6) * 1000) / 1000;
  const failed = (errorKind: ProbeErrorKind): Sample => ({ at, durationMs: elapsed(), ok: false, errorKind });
  try {
    if (headersProblem(spec.headers) !== undefined) return failed('invalid_request');
    return await send(spec, egress, at, elapsed);
  } catch {
    // whatever Node's client refuses that the checks above did not foresee: still a sample
    return failed('invalid_request');
  }
}

async function send(
  spec: HttpProbeSpec,
  egress: EgressGuard | undefined,
  at: number,
  elapsed: () => number,
): Promise<Sample> {
  const url = new URL(spec.url);
  const transport = url.protocol === 'https:' ? https : http;
  let lookup: ReturnType<typeof EgressGuard.lookupFor> | undefined;
  if (egress) {
    const checked = await egress.check(spec.url);
    if (!checked.ok) return { at, durationMs: elapsed(), ok: false, errorKind: checked.kind };
    lookup = EgressGuard.lookupFor(checked);
  }

  return new Promise<Sample>((resolve, reject) => {
    let settled = false;
    const finish = (sample: Omit<Sample, 'at' | 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ at, durationMs: elapsed(), ...sample });
    };
    const options = { method: spec.method ?? 'GET', headers: spec.headers, agent: false as const, lookup };
    // throws synchronously (ERR_INVALID_CHAR…) on what it cannot send: the caller records it
    const req = transport.request(url, options, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const ok = spec.expectedStatus ? spec.expectedStatus.includes(status) : status >= 200 && status < 400;
        finish(ok ? { ok, status } : { ok, status, errorKind: 'status_mismatch' });
      });
      res.on('error', (e: NodeJS.ErrnoException) =>
        finish({ ok: false, status: res.statusCode, errorKind: errorKind(e) }),
      );
    });
    const timer = setTimeout(() => {
      finish({ ok: false, errorKind: 'timeout' });
      req.destroy();
    }, spec.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, errorKind: errorKind(e) }));
    try {
      if (spec.body !== undefined) req.write(spec.body);
      req.end();
    } catch (error) {
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error as Error);
    }
  });
}

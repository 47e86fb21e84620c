import * as http from 'node:http';
import * as https from 'node:https';
import type { Sample } from '@gameday/core';
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
  'timeout' | 'connect_refused' | 'connect_reset' | 'status_mismatch' | 'dns' | 'network' | 'egress_denied';

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
 * Never throws: failures are samples too. With an egress guard the destination is resolved and
 * checked first; a denied one is recorded as an `egress_denied` sample and never sent.
 */
export async function probeOnce(spec: HttpProbeSpec, egress?: EgressGuard): Promise<Sample> {
  const url = new URL(spec.url);
  const transport = url.protocol === 'https:' ? https : http;
  const at = Date.now();
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  let lookup: ReturnType<typeof EgressGuard.lookupFor> | undefined;
  if (egress) {
    const checked = await egress.check(spec.url);
    if (!checked.ok) return { at, durationMs: Math.round(elapsed() * 1000) / 1000, ok: false, errorKind: checked.kind };
    lookup = EgressGuard.lookupFor(checked);
  }

  return new Promise<Sample>((resolve) => {
    let settled = false;
    const finish = (sample: Omit<Sample, 'at' | 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ at, durationMs: Math.round(elapsed() * 1000) / 1000, ...sample });
    };
    const options = { method: spec.method ?? 'GET', headers: spec.headers, agent: false as const, lookup };
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
    if (spec.body !== undefined) req.write(spec.body);
    req.end();
  });
}

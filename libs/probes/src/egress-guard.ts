import {
  buildEgressPolicy,
  checkEgress,
  type EgressPolicy,
  hostsToResolve,
  type LocalAddresses,
  withResolvedHosts,
  systemClock,
} from '@gameday/core';
import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { cachedLocalAddresses, LOCAL_ADDRESSES_TTL_MS } from './local-address-reader';

export interface ResolvedAddress {
  address: string;
  family: number;
}
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export type EgressCheck =
  | { ok: true; host: string; port: number; addresses: ResolvedAddress[] }
  | { ok: false; kind: 'egress_denied' | 'dns'; reason: string };

/** The configuration the policy is built from (a subset of AppConfig). */
export interface EgressSettings {
  GAMEDAY_EGRESS_ALLOW?: string;
  GAMEDAY_EGRESS_ALLOW_DENIED?: string;
  GAMEDAY_EGRESS_DENY?: string;
  DOCKER_HOST?: string;
  PORT?: number;
  WORKER_PORT?: number;
  DATABASE_URL?: string;
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_SENTINELS?: string;
}

const defaultResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });
const REFRESH_MS = 30_000;

/**
 * The I/O side of the egress policy: resolves a URL's host once, checks every address it
 * resolved to against the policy and this host's addresses as they are now (GameDay's own ports
 * are denied on each of them, see local-address-reader), and hands the connection a lookup that
 * returns only those checked addresses, so a second (rebinding) DNS answer never decides where
 * the request goes.
 */
export class EgressGuard {
  private resolved: EgressPolicy | undefined;
  private resolvedAt = 0;

  constructor(
    private readonly policy: EgressPolicy,
    private readonly resolve: Resolver = defaultResolver,
    private readonly localAddresses: () => Promise<LocalAddresses> = cachedLocalAddresses(),
  ) {}

  static fromConfig(config: EgressSettings, resolve?: Resolver): EgressGuard {
    return new EgressGuard(
      buildEgressPolicy({
        allow: config.GAMEDAY_EGRESS_ALLOW,
        allowDenied: config.GAMEDAY_EGRESS_ALLOW_DENIED,
        deny: config.GAMEDAY_EGRESS_DENY,
        dockerHost: config.DOCKER_HOST,
        apiPort: config.PORT,
        workerPort: config.WORKER_PORT,
        databaseUrl: config.DATABASE_URL,
        redisUrl: config.REDIS_URL,
        redisNodes: [config.REDIS_CLUSTER_NODES, config.REDIS_SENTINELS].filter(Boolean).join(','),
      }),
      resolve,
    );
  }

  /** Resolves and checks a URL; every address must be allowed. Never throws. */
  async check(url: string): Promise<EgressCheck> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { ok: false, kind: 'egress_denied', reason: 'not a URL' };
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolve(host);
    } catch (error) {
      return { ok: false, kind: 'dns', reason: `${host} does not resolve: ${(error as Error).message}` };
    }
    if (addresses.length === 0) return { ok: false, kind: 'dns', reason: `${host} has no address` };
    return this.recheck({ host, port, addresses });
  }

  /**
   * Checks addresses already resolved again, against the policy and this host's addresses as
   * they are now (a long load connects again and again to what it checked at its start).
   */
  async recheck(checked: { host: string; port: number; addresses: ResolvedAddress[] }): Promise<EgressCheck> {
    const { host, port, addresses } = checked;
    const [policy, local] = await Promise.all([this.currentPolicy(), this.localAddresses()]);
    for (const { address } of addresses) {
      const decision = checkEgress(policy, { host, address, port }, local);
      if (!decision.allowed) return { ok: false, kind: 'egress_denied', reason: decision.reason };
    }
    return { ok: true, host, port, addresses };
  }

  /**
   * Checks `checked` again every `everyMs` until stopped or denied; calls `onDenied` once then.
   * For a load: autocannon makes its connections again and again to the address checked at start.
   */
  watch(
    checked: { host: string; port: number; addresses: ResolvedAddress[] },
    onDenied: (denied: Extract<EgressCheck, { ok: false }>) => void,
    everyMs = LOCAL_ADDRESSES_TTL_MS,
  ): () => void {
    let stopped = false;
    const timer = setInterval(() => {
      void this.recheck(checked).then((result) => {
        if (stopped || result.ok) return;
        stop();
        onDenied(result);
      });
    }, everyMs).unref();
    const stop = () => {
      stopped = true;
      clearInterval(timer);
    };
    return stop;
  }

  /** A lookup for http.request / net.connect that answers only with the checked addresses. */
  static lookupFor(checked: { addresses: ResolvedAddress[] }): LookupFunction {
    return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      const cb = typeof options === 'function' ? (options as typeof callback) : callback;
      const all = typeof options === 'object' && options?.all;
      const [first] = checked.addresses;
      if (all) cb(null, checked.addresses);
      else cb(null, first.address, first.family);
    }) as LookupFunction;
  }

  /** Deny entries given by name also match the addresses the name resolves to (refreshed). */
  private async currentPolicy(): Promise<EgressPolicy> {
    if (this.resolved && systemClock.monotonicMs() - this.resolvedAt < REFRESH_MS) return this.resolved;
    const names = hostsToResolve(this.policy);
    const pairs = await Promise.all(
      names.map(async (name) => {
        const found = await this.resolve(name).catch(() => []);
        return [name, found.map((a) => a.address)] as const;
      }),
    );
    this.resolved = withResolvedHosts(this.policy, new Map(pairs));
    this.resolvedAt = systemClock.monotonicMs();
    return this.resolved;
  }
}

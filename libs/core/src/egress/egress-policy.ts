import { type Cidr, cidrContains, formatIp, ipForms, type IpValue, parseCidr, parseIp } from './ip-address';

/**
 * Where the worker may send the requests an operator describes (probes, load, webhooks). Pure:
 * given the policy and one destination (the URL's host, the address it resolved to, the port)
 * it answers allowed, or the reason it is not. Resolving names is the caller's I/O.
 */
export interface EgressEntry {
  /** a host name (lower case) or undefined for an address range */
  host?: string;
  cidr?: Cidr;
  /** addresses a host name resolved to (filled in by the I/O layer), matched like the name */
  addresses?: string[];
  port?: number;
  /** what the entry stands for, shown in the refusal */
  label: string;
}

/** A port of GameDay's own (API, worker, Postgres, Redis, Docker Engine). */
export interface OwnPort {
  port: number;
  label: string;
}

export interface EgressPolicy {
  /** always denied (unless re-allowed below) */
  deny: EgressEntry[];
  /** denied on every address of this host, as it is when the request is sent (LocalAddresses) */
  ownPorts: OwnPort[];
  /** null: everything not denied; otherwise only these */
  allow: EgressEntry[] | null;
  /** denied entries an admin re-allowed explicitly */
  allowDenied: EgressEntry[];
}

export interface EgressDestination {
  /** the URL's host name or literal address (brackets removed) */
  host: string;
  /** the address the connection will go to */
  address: string;
  port: number;
}

export type EgressDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * Which addresses are this host's, read by the I/O layer when a request is sent (addresses come
 * and go while GameDay runs: docker0 gets one when Docker starts, a tap when a lab starts).
 */
export interface LocalAddresses {
  /** what the kernel delivers locally: its local routes and every assigned address, up or down */
  ranges: Cidr[];
  /** false when that could not be read: every address that is not public then counts as local */
  complete: boolean;
}

/** Loopback and "this host" (0.0.0.0 and :: connect to the host itself): always local. */
const ALWAYS_LOCAL = ['127.0.0.0/8', '0.0.0.0/8', '::1', '::'].map((c) => parseCidr(c)!);
/** What is not public, for when the local addresses could not be read (fail closed). */
const NOT_PUBLIC = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
].map((c) => parseCidr(c)!);

/** Only loopback and "this host": what a caller that read nothing can assume. */
export const NO_LOCAL_ADDRESSES: LocalAddresses = { ranges: [], complete: true };

function isLocal(ip: IpValue, local: LocalAddresses): boolean {
  const within = (cidrs: Cidr[]) => cidrs.some((c) => cidrContains(c, ip));
  return within(ALWAYS_LOCAL) || within(local.ranges) || (!local.complete && within(NOT_PUBLIC));
}

/** Parses "host", "host:port", "10.0.0.0/8", "10.0.0.0/8:443", "[fd00::/8]:443", "fe80::1". */
export function parseEgressEntry(text: string, label = text): EgressEntry {
  const t = text.trim();
  let addr = t;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracketed) [, addr, portText] = bracketed;
  else if ((t.match(/:/g) ?? []).length === 1) [addr, portText] = t.split(':');
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) throw new Error(`"${text}": invalid port`);
  }
  const cidr = parseCidr(addr);
  if (cidr) return { cidr, port, label };
  if (addr.includes('/') || addr.includes(':')) throw new Error(`"${text}": not an address, CIDR or host`);
  if (!/^[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*\.?$/i.test(addr))
    throw new Error(`"${text}": not a host name`);
  return { host: addr.toLowerCase().replace(/\.$/, ''), port, label };
}

/** A comma-separated list (empty entries ignored); throws naming the first bad entry. */
export function parseEgressList(text: string | undefined): EgressEntry[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => parseEgressEntry(s));
}

function matches(entry: EgressEntry, d: EgressDestination, ip: IpValue | undefined): boolean {
  if (entry.port !== undefined && entry.port !== d.port) return false;
  if (entry.cidr) return ip !== undefined && cidrContains(entry.cidr, ip);
  const host = d.host.toLowerCase().replace(/\.$/, '');
  if (entry.host === host) return true;
  return (entry.addresses ?? []).some((a) => {
    const x = parseIp(a);
    return x !== undefined && ip !== undefined && x.family === ip.family && x.value === ip.value;
  });
}

/** Why one form of the destination's address is denied, before any re-allowing. */
function deniedBy(policy: EgressPolicy, d: EgressDestination, ip: IpValue | undefined, local: LocalAddresses) {
  const entry = policy.deny.find((e) => matches(e, d, ip));
  if (entry) return entry.label;
  const own = policy.ownPorts.find((o) => o.port === d.port);
  const here = d.host.toLowerCase() === 'localhost' || (ip !== undefined && isLocal(ip, local));
  return own && here ? `${own.label} (port ${own.port} on an address of this host)` : undefined;
}

/**
 * Decides one destination. `local` is this host's addresses as they are now: GameDay's own ports
 * are denied on every one of them. An address that embeds an IPv4 address (ipForms) is decided as
 * that address; deny rules see every form it may reach.
 */
export function checkEgress(
  policy: EgressPolicy,
  d: EgressDestination,
  local: LocalAddresses = NO_LOCAL_ADDRESSES,
): EgressDecision {
  const forms: (IpValue | undefined)[] = ipForms(d.address);
  if (forms.length === 0) forms.push(undefined);
  const [ip] = forms;
  const shown = ip?.family === 4 && d.address.includes(':') ? `${d.address}, IPv4 ${formatIp(ip)}` : d.address;
  const where = `${d.host === d.address ? shown : `${d.host} (${shown})`} port ${d.port}`;
  let reopened = false;
  for (const form of forms) {
    const label = deniedBy(policy, d, form, local);
    if (!label) continue;
    if (policy.allowDenied.some((e) => matches(e, d, form))) reopened = true;
    else
      return {
        allowed: false,
        reason: `egress to ${where} is denied: ${label} (an admin can allow it with GAMEDAY_EGRESS_ALLOW_DENIED)`,
      };
  }
  if (policy.allow !== null && !reopened && !policy.allow.some((e) => matches(e, d, ip)))
    return { allowed: false, reason: `egress to ${where} is not in GAMEDAY_EGRESS_ALLOW` };
  return { allowed: true };
}

export interface EgressPolicyInput {
  /** GAMEDAY_EGRESS_ALLOW: when set, only these destinations */
  allow?: string;
  /** GAMEDAY_EGRESS_ALLOW_DENIED: denied destinations an admin re-allows */
  allowDenied?: string;
  /** GAMEDAY_EGRESS_DENY: more destinations to deny (e.g. the API's and worker's compose names) */
  deny?: string;
  dockerHost?: string;
  apiPort?: number;
  workerPort?: number;
  databaseUrl?: string;
  redisUrl?: string;
  /** REDIS_CLUSTER_NODES / REDIS_SENTINELS: more of GameDay's Redis, as host:port,… */
  redisNodes?: string;
}

/** The policy of one deployment, from its configuration. Throws on a malformed list. */
export function buildEgressPolicy(input: EgressPolicyInput): EgressPolicy {
  const deny: EgressEntry[] = [
    parseEgressEntry('169.254.0.0/16', 'link-local addresses (cloud metadata services live here)'),
    parseEgressEntry('fe80::/10', 'IPv6 link-local addresses'),
    parseEgressEntry('100.100.100.200', 'a cloud metadata service'),
    parseEgressEntry('[fd00:ec2::254]', 'a cloud metadata service'),
    parseEgressEntry('metadata.google.internal', 'a cloud metadata service'),
  ];
  for (const port of [2375, 2376])
    for (const any of ['0.0.0.0/0', '::/0'])
      deny.push({ ...parseEgressEntry(any), port, label: `the Docker Engine API port ${port}` });
  const ownPorts: OwnPort[] = [];
  // Every port of GameDay's is denied on every address of this host, whatever host its URL
  // names: a service listening on 0.0.0.0 answers on all of them, docker0's and a lab tap's
  // included. A host elsewhere is denied by name and by the addresses the name resolves to.
  const service = (host: string, port: number, label: string) => {
    if (!ownPorts.some((o) => o.port === port)) ownPorts.push({ port, label });
    if (host.toLowerCase() !== 'localhost' && !isLoopbackOrAny(host))
      deny.push({ ...parseEgressEntry(bracket(host)), port, label });
  };
  const endpoint = (url: string | undefined, defaultPort: number, label: string) => {
    if (!url) return;
    try {
      const u = new URL(url);
      if (u.hostname) service(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || defaultPort), label);
    } catch {
      // a malformed URL is the config schema's business
    }
  };
  if (input.dockerHost?.startsWith('tcp://')) endpoint(input.dockerHost, 2375, 'the Docker Engine API (DOCKER_HOST)');
  if (input.apiPort) service('127.0.0.1', input.apiPort, "GameDay's own API");
  if (input.workerPort) service('127.0.0.1', input.workerPort, "GameDay's worker");
  endpoint(input.databaseUrl, 5432, "GameDay's Postgres");
  endpoint(input.redisUrl, 6379, "GameDay's Redis");
  for (const node of (input.redisNodes ?? '').split(',').filter((n) => n.trim()))
    endpoint(`redis://${node.trim()}`, 6379, "GameDay's Redis");
  for (const e of parseEgressList(input.deny)) deny.push({ ...e, label: `denied by GAMEDAY_EGRESS_DENY (${e.label})` });
  const allow = input.allow?.trim() ? parseEgressList(input.allow) : null;
  return { deny, ownPorts, allow, allowDenied: parseEgressList(input.allowDenied) };
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') && !host.includes('/') ? `[${host}]` : host;
}

function isLoopbackOrAny(host: string): boolean {
  const ip = parseIp(host);
  return ip !== undefined && ALWAYS_LOCAL.some((c) => cidrContains(c, ip));
}

// names whose addresses the fixed rules already cover: resolving them would only cost time
const WELL_KNOWN = new Set(['localhost', 'metadata.google.internal']);

/** Host names of deny entries, for the I/O layer to resolve (see withResolvedHosts). */
export function hostsToResolve(policy: EgressPolicy): string[] {
  return [...new Set(policy.deny.flatMap((e) => (e.host && !WELL_KNOWN.has(e.host) ? [e.host] : [])))];
}

/** The policy with each host entry also matching the addresses its name resolved to. */
export function withResolvedHosts(policy: EgressPolicy, resolved: ReadonlyMap<string, string[]>): EgressPolicy {
  const fill = (e: EgressEntry): EgressEntry => (e.host ? { ...e, addresses: resolved.get(e.host) ?? [] } : e);
  return {
    ...policy,
    deny: policy.deny.map(fill),
    allow: policy.allow && policy.allow.map(fill),
    allowDenied: policy.allowDenied.map(fill),
  };
}

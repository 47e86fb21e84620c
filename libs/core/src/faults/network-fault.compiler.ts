import { parseDurationUs } from '../units/duration';
import { parseRateBitsPerSecond, type NetemSpec, type NetworkFaultSpec, type ScopeRule } from './network.schema';
import { decideNetemLimit, netemArgs, type NetemLimitOptions } from './netem-args';

/**
 * Compiles a network fault into tc/ip argv arrays. Everything the service creates carries a fixed,
 * service-owned handle so revert can delete exactly what we added (the kernel checks handle AND
 * kind on delete) and never a qdisc another tool put there. `add` (never `replace`) makes apply
 * fail instead of silently overwriting an existing root qdisc.
 */

export const GAMEDAY_ROOT_HANDLE = '4744:';
export const GAMEDAY_NETEM_HANDLE = '4745:';
export const GAMEDAY_PASS_HANDLE = '4746:';
export const DEFAULT_IFB_DEVICE = 'gdifb0';
const INGRESS_HANDLE = 'ffff:';

/** The ingress qdisc an ingress fault hangs its redirect on (also what the kernel probe tries). */
export function ingressQdiscArgv(device: string): string[] {
  return ['tc', 'qdisc', 'add', 'dev', device, 'handle', INGRESS_HANDLE, 'ingress'];
}

/** Every packet arriving on `device` redirected to the IFB that holds the fault (also probed). */
export function ingressRedirectArgv(device: string, ifb: string): string[] {
  // prettier-ignore
  return ['tc', 'filter', 'add', 'dev', device, 'parent', INGRESS_HANDLE, 'protocol', 'all', 'pref', '1',
    'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', ifb];
}
/** Untouched traffic keeps a real queue: container veths have txqueuelen 0, which would make prio's default pfifo 1 packet long. */
const PASS_QUEUE_PACKETS = 1000;
const MAX_FILTERS = 256;

export interface CompileNetworkFaultOptions extends NetemLimitOptions {
  /** Overrides the spec's device. */
  device?: string;
  /** IFB device created for ingress faults (one per netns, so a fixed name is safe). */
  ifbDevice?: string;
  /** Major handles, overridable for tests; defaults are the service-owned ones. */
  rootHandle?: string;
  netemHandle?: string;
  passHandle?: string;
}

export interface ExpectedNetem {
  limit: number;
  delaySeconds?: number;
  jitterSeconds?: number;
  /** Fractions 0..1, as `tc -j` reports them. */
  delayCorrelation?: number;
  lossRandom?: { loss: number; correlation?: number };
  lossState?: Record<'p13' | 'p31' | 'p32' | 'p23' | 'p14', number | undefined>;
  lossGemodel?: { p: number; r?: number; '1-h'?: number; '1-k'?: number };
  duplicate?: number;
  corrupt?: number;
  reorder?: { reorder: number; correlation?: number };
  gap?: number;
  rateBytesPerSecond?: number;
}

export interface ExpectedQdisc {
  dev: string;
  kind: string;
  handle: string;
  /** "root", or the parent class id as tc prints it (e.g. "4744:2"). */
  parent: string;
  netem?: ExpectedNetem;
}

/** A u32 filter we add, as `tc -j filter show dev X parent P` reports it. */
export interface ExpectedFilter {
  dev: string;
  parent: string;
  protocol: string;
  pref: number;
  flowid?: string;
  /** mirred redirect target (ingress → IFB). */
  redirectTo?: string;
}

export interface OwnedObject {
  dev: string;
  handle: string;
  kind: string;
}

export interface ExpectedTree {
  qdiscs: ExpectedQdisc[];
  /** What revert removes; verification after revert expects none of these. */
  owned: OwnedObject[];
  /** Devices whose `tc -j qdisc show dev X` output verification needs, in verify argv order. */
  devices: string[];
  /** Created by us for ingress faults; it disappears with revert. */
  ifbDevice?: string;
  filterCount: number;
  filters: ExpectedFilter[];
  /** `tc -j filter show dev X parent P` runs that follow the qdisc shows in the verify argv. */
  filterShows: { dev: string; parent: string }[];
}

export interface CompiledNetworkFault {
  device: string;
  direction: 'egress' | 'ingress';
  handle: string;
  ifbDevice?: string;
  apply: string[][];
  /** `undo[i]` undoes `apply[i]` (null when a later undo covers it); rollback walks it backwards. */
  undo: (string[] | null)[];
  verify: string[][];
  revert: string[][];
  expected: ExpectedTree;
  warnings: string[];
}

export class FaultCompileError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'FaultCompileError';
  }
}

type Family = 'ip' | 'ipv6';

function familyOf(cidr: string): Family {
  return cidr.includes(':') ? 'ipv6' : 'ip';
}

function withPrefix(cidr: string): string {
  if (cidr.includes('/')) return cidr;
  return familyOf(cidr) === 'ip' ? `${cidr}/32` : `${cidr}/128`;
}

/** Loopback traffic never leaves through a real device, so excluding it needs no filter. */
function isLoopback(cidr: string): boolean {
  const c = withPrefix(cidr).toLowerCase();
  return c.startsWith('127.') || c === '::1/128';
}

const PROTOCOL_NUMBER: Record<'tcp' | 'udp' | 'icmp', Record<Family, number>> = {
  tcp: { ip: 6, ipv6: 6 },
  udp: { ip: 17, ipv6: 17 },
  icmp: { ip: 1, ipv6: 58 },
};

interface FilterMatch {
  family: Family;
  matches: string[];
}

/**
 * One rule → u32 filters. Fields inside a rule are AND'ed: each filter carries every field's
 * match. Values inside one field are OR'ed: one filter per combination. A family with no
 * address in the rule gets no filter (a rule for 10.0.0.0/8 never touches IPv6).
 */
function ruleFilters(rule: ScopeRule, peer: 'src' | 'dst'): FilterMatch[] {
  const byFamily = new Map<Family, (string | undefined)[]>();
  if (rule.destinations) {
    for (const d of rule.destinations) {
      const fam = familyOf(d);
      byFamily.set(fam, [...(byFamily.get(fam) ?? []), withPrefix(d)]);
    }
  } else {
    byFamily.set('ip', [undefined]);
    byFamily.set('ipv6', [undefined]);
  }
  const out: FilterMatch[] = [];
  for (const [family, addrs] of byFamily) {
    const sel = family === 'ip' ? 'ip' : 'ip6';
    for (const addr of addrs) {
      for (const port of rule.ports ?? [undefined]) {
        const matches: string[] = [];
        if (addr !== undefined) matches.push('match', sel, peer, addr);
        if (rule.protocol !== undefined)
          matches.push('match', sel, 'protocol', String(PROTOCOL_NUMBER[rule.protocol][family]), '0xff');
        if (port !== undefined) matches.push('match', sel, peer === 'dst' ? 'dport' : 'sport', String(port), '0xffff');
        out.push({ family, matches });
      }
    }
  }
  return out;
}

function minor(handle: string, n: number): string {
  return `${handle.replace(/:$/, '')}:${n}`;
}

function fraction(percent: number | undefined): number | undefined {
  return percent === undefined ? undefined : percent / 100;
}

export function expectedNetem(netem: NetemSpec, limit: number): ExpectedNetem {
  const e: ExpectedNetem = { limit };
  if (netem.delay !== undefined) {
    e.delaySeconds = parseDurationUs(netem.delay)! / 1e6;
    e.jitterSeconds = netem.jitter ? parseDurationUs(netem.jitter)! / 1e6 : 0;
    if (netem.correlation !== undefined) e.delayCorrelation = fraction(netem.correlation);
  }
  const loss = netem.loss;
  if (typeof loss === 'number') e.lossRandom = { loss: loss / 100 };
  else if (loss?.model === 'random')
    e.lossRandom = { loss: loss.percent / 100, correlation: fraction(loss.correlation) };
  else if (loss?.model === 'state')
    e.lossState = {
      p13: fraction(loss.p13),
      p31: fraction(loss.p31),
      p32: fraction(loss.p32),
      p23: fraction(loss.p23),
      p14: fraction(loss.p14),
    };
  else if (loss?.model === 'gemodel')
    e.lossGemodel = { p: loss.p / 100, r: fraction(loss.r), '1-h': fraction(loss.h), '1-k': fraction(loss.k) };
  if (netem.duplicate !== undefined) e.duplicate = netem.duplicate / 100;
  if (netem.corrupt !== undefined) e.corrupt = netem.corrupt / 100;
  if (netem.reorder !== undefined) {
    e.reorder = { reorder: netem.reorder.percent / 100, correlation: fraction(netem.reorder.correlation) };
    if (netem.reorder.gap !== undefined) e.gap = netem.reorder.gap;
  }
  if (netem.rate !== undefined) e.rateBytesPerSecond = parseRateBitsPerSecond(netem.rate)! / 8;
  return e;
}

/** Compiles a parsed (schema-validated) network fault spec. */
export function compileNetworkFault(
  spec: NetworkFaultSpec,
  options: CompileNetworkFaultOptions = {},
): CompiledNetworkFault {
  const device = options.device ?? spec.device ?? 'eth0';
  const direction = spec.direction ?? 'egress';
  const rootHandle = options.rootHandle ?? GAMEDAY_ROOT_HANDLE;
  const netemHandle = options.netemHandle ?? GAMEDAY_NETEM_HANDLE;
  const passHandle = options.passHandle ?? GAMEDAY_PASS_HANDLE;
  const ifb = direction === 'ingress' ? (options.ifbDevice ?? DEFAULT_IFB_DEVICE) : undefined;
  if (ifb !== undefined && ifb === device)
    throw new FaultCompileError('ifbDevice', `must differ from device "${device}"`);
  for (const h of [rootHandle, netemHandle, passHandle]) {
    if (!/^[0-9a-f]{1,4}:$/.test(h) || h === INGRESS_HANDLE)
      throw new FaultCompileError('handle', `"${h}" is not a usable qdisc handle like "4744:"`);
  }

  const warnings: string[] = [];
  const limitDecision = decideNetemLimit(spec.netem, options);
  if (limitDecision.raisedBecause)
    warnings.push(`netem limit raised to ${limitDecision.limit}: ${limitDecision.raisedBecause}`);
  if (limitDecision.warning) warnings.push(limitDecision.warning);
  const netem = netemArgs(spec.netem, limitDecision.limit);
  const netemExpect = expectedNetem(spec.netem, limitDecision.limit);

  // The device whose egress carries the fault: the IFB for ingress faults.
  const shaped = ifb ?? device;
  const peer = direction === 'egress' ? 'dst' : 'src';
  const excludes = (spec.exclude ?? []).filter((c) => !isLoopback(c));
  const scoped = spec.scope !== undefined;

  const apply: string[][] = [];
  const undo: (string[] | null)[] = [];
  const qdiscs: ExpectedQdisc[] = [];
  const owned: OwnedObject[] = [];
  let filterCount = 0;
  const filters: ExpectedFilter[] = [];
  const filterShows: { dev: string; parent: string }[] = [];

  if (ifb !== undefined) {
    apply.push(['ip', 'link', 'add', ifb, 'type', 'ifb']);
    undo.push(['ip', 'link', 'del', ifb]);
    apply.push(['ip', 'link', 'set', 'dev', ifb, 'up']);
    undo.push(null);
  }

  if (!scoped && excludes.length === 0) {
    apply.push(['tc', 'qdisc', 'add', 'dev', shaped, 'root', 'handle', rootHandle, 'netem', ...netem]);
    undo.push(['tc', 'qdisc', 'del', 'dev', shaped, 'root', 'handle', rootHandle, 'netem']);
    qdiscs.push({ dev: shaped, kind: 'netem', handle: rootHandle, parent: 'root', netem: netemExpect });
    owned.push({ dev: shaped, handle: rootHandle, kind: 'netem' });
  } else {
    // prio with every priority mapped to band 0 (class :1, a plain FIFO): until a filter
    // matches, traffic is untouched, including while the tree is being built.
    const passClass = minor(rootHandle, 1);
    const faultClass = minor(rootHandle, 2);
    apply.push([
      'tc',
      'qdisc',
      'add',
      'dev',
      shaped,
      'root',
      'handle',
      rootHandle,
      'prio',
      'bands',
      '2',
      'priomap',
      ...Array<string>(16).fill('0'),
    ]);
    undo.push(['tc', 'qdisc', 'del', 'dev', shaped, 'root', 'handle', rootHandle, 'prio']);
    apply.push([
      'tc',
      'qdisc',
      'add',
      'dev',
      shaped,
      'parent',
      passClass,
      'handle',
      passHandle,
      'pfifo',
      'limit',
      String(PASS_QUEUE_PACKETS),
    ]);
    undo.push(null);
    apply.push(['tc', 'qdisc', 'add', 'dev', shaped, 'parent', faultClass, 'handle', netemHandle, 'netem', ...netem]);
    undo.push(null);
    qdiscs.push({ dev: shaped, kind: 'prio', handle: rootHandle, parent: 'root' });
    qdiscs.push({ dev: shaped, kind: 'pfifo', handle: passHandle, parent: passClass });
    qdiscs.push({ dev: shaped, kind: 'netem', handle: netemHandle, parent: faultClass, netem: netemExpect });
    owned.push({ dev: shaped, handle: rootHandle, kind: 'prio' });

    filterShows.push({ dev: shaped, parent: rootHandle });
    const filter = (pref: number, f: FilterMatch, flowid: string) => {
      apply.push([
        'tc',
        'filter',
        'add',
        'dev',
        shaped,
        'parent',
        rootHandle,
        'protocol',
        f.family,
        'pref',
        String(pref),
        'u32',
        ...f.matches,
        'flowid',
        flowid,
      ]);
      undo.push(null);
      filters.push({ dev: shaped, parent: rootHandle, protocol: f.family, pref, flowid });
      filterCount++;
    };
    // Exclusions first (lower pref is evaluated first), so an excluded peer is never delayed.
    excludes.forEach((c, i) =>
      filter(
        10 + i,
        { family: familyOf(c), matches: ['match', familyOf(c) === 'ip' ? 'ip' : 'ip6', peer, withPrefix(c)] },
        passClass,
      ),
    );
    if (scoped) {
      let pref = 100;
      for (const rule of spec.scope!.rules) {
        for (const f of ruleFilters(rule, peer)) filter(pref++, f, faultClass);
      }
    } else {
      // Whole interface with exclusions: everything not excluded goes to the fault band.
      apply.push([
        'tc',
        'filter',
        'add',
        'dev',
        shaped,
        'parent',
        rootHandle,
        'protocol',
        'all',
        'pref',
        '1000',
        'u32',
        'match',
        'u32',
        '0',
        '0',
        'flowid',
        faultClass,
      ]);
      undo.push(null);
      filters.push({ dev: shaped, parent: rootHandle, protocol: 'all', pref: 1000, flowid: faultClass });
      filterCount++;
    }
    if (filterCount > MAX_FILTERS)
      throw new FaultCompileError(
        'scope',
        `expands to ${filterCount} filters (at most ${MAX_FILTERS}); use CIDRs instead of many single addresses`,
      );
  }

  if (ifb !== undefined) {
    // Redirect last: the IFB already holds the fault when traffic starts flowing through it.
    apply.push(ingressQdiscArgv(device));
    undo.push(['tc', 'qdisc', 'del', 'dev', device, 'handle', INGRESS_HANDLE, 'ingress']);
    apply.push(ingressRedirectArgv(device, ifb));
    undo.push(null);
    qdiscs.push({ dev: device, kind: 'ingress', handle: INGRESS_HANDLE, parent: 'ingress' });
    filters.push({ dev: device, parent: INGRESS_HANDLE, protocol: 'all', pref: 1, redirectTo: ifb });
    filterShows.push({ dev: device, parent: INGRESS_HANDLE });
    owned.push({ dev: device, handle: INGRESS_HANDLE, kind: 'ingress' });
    owned.push({ dev: ifb, handle: 'ifb', kind: 'link' });
  }

  const devices = ifb !== undefined ? [device, ifb] : [device];
  // Qdisc shows first (one per device, in `devices` order), then one filter show per filter parent.
  const verify = [
    ...devices.map((d) => ['tc', '-j', 'qdisc', 'show', 'dev', d]),
    ...filterShows.map((f) => ['tc', '-j', 'filter', 'show', 'dev', f.dev, 'parent', f.parent]),
  ];
  return {
    device,
    direction,
    handle: rootHandle,
    ifbDevice: ifb,
    apply,
    undo,
    verify,
    revert: rollbackSteps(undo, apply.length),
    expected: { qdiscs, owned, devices, ifbDevice: ifb, filterCount, filters, filterShows },
    warnings,
  };
}

/** Undo argv for the first `applied` apply steps, newest first: used for revert and rollback. */
export function rollbackSteps(undo: (string[] | null)[], applied: number): string[][] {
  const out: string[][] = [];
  for (let i = Math.min(applied, undo.length) - 1; i >= 0; i--) {
    const u = undo[i];
    if (u) out.push(u);
  }
  return out;
}

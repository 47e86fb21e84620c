import type { NetworkFaultSpec } from './network.schema';
import { decideNetemLimit, netemArgs, type NetemLimitOptions } from './netem-args';
import { expectedNetem } from './expected-netem';
import {
  FaultCompileError,
  type CompiledNetworkFault,
  type ExpectedFilter,
  type ExpectedQdisc,
  type OwnedObject,
} from './network-fault.types';
import { familyOf, isLoopback, ruleFilters, withPrefix, type FilterMatch } from './u32-match';

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

function minor(handle: string, n: number): string {
  return `${handle.replace(/:$/, '')}:${n}`;
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

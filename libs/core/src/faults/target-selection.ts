import type { SelectionSpec, TargetSpec } from './fault.schema';

/** Containers must opt in with this label before any fault may touch them. */
export const OPT_IN_LABEL = 'gameday.enabled';
/** Containers of the GameDay service itself (api, worker, helpers) carry this label and are never targets. */
export const ROLE_LABEL = 'gameday.role';
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** What the driver learned about one container (from `docker inspect`). */
export interface ContainerCandidate {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
  paused?: boolean;
  /** HostConfig.NetworkMode: "bridge", "host", "none", "container:<id>", a network name… */
  networkMode: string;
  /**
   * Identity of the network namespace: containers that share one (`--network container:X`, pods)
   * have the same key, so a netem fault is applied once, not once per container.
   */
  netnsKey: string;
  pid?: number;
  /** HostConfig.Privileged: a fault helper next to it could reach the host */
  privileged?: boolean;
  /** the container whose network namespace this one joined (`--network container:X`) */
  netnsOwner?: Omit<ContainerCandidate, 'netnsOwner'>;
}

export type RefusalReason =
  | 'not_opted_in'
  | 'host_network'
  | 'gameday_own_container'
  | 'not_running'
  | 'no_network'
  | 'privileged'
  | 'netns_owner_refused';

export interface RefusedCandidate {
  id: string;
  name: string;
  reason: RefusalReason;
  message: string;
}

export interface SelectionRecord {
  mode: SelectionSpec['mode'];
  requested?: number;
  eligible: number;
  chosen: string[];
  /** The random draws that decided the choice, so a run can show (and replay) why these targets. */
  draws: number[];
}

export interface TargetSelection {
  selected: ContainerCandidate[];
  refused: RefusedCandidate[];
  /** Containers dropped because another selected/eligible container shares their netns. */
  deduplicated: { id: string; name: string; sharesNetnsWith: string }[];
  record: SelectionRecord;
}

export interface SelectionPolicy {
  optInLabel?: string;
  optInValue?: string;
  roleLabel?: string;
  /** Network faults dedupe by netns; container faults act per container. */
  dedupeNetns: boolean;
  /** privileged containers are refused unless the GameDay allows them explicitly */
  allowPrivileged?: boolean;
}

export class TargetSelectionError extends Error {
  constructor(
    message: string,
    readonly refused: RefusedCandidate[],
  ) {
    super(message);
    this.name = 'TargetSelectionError';
  }
}

/** Whether a candidate matches the target's identity (name / compose / labels), before policy. */
export function matchesTarget(c: ContainerCandidate, target: TargetSpec): boolean {
  if (target.container !== undefined)
    return (
      c.name.replace(/^\//, '') === target.container ||
      c.id === target.container ||
      (target.container.length >= 12 && c.id.startsWith(target.container))
    );
  if (target.compose !== undefined) {
    if (c.labels[COMPOSE_PROJECT_LABEL] !== target.compose.project) return false;
    return target.compose.service === undefined || c.labels[COMPOSE_SERVICE_LABEL] === target.compose.service;
  }
  if (target.labels !== undefined) return Object.entries(target.labels).every(([k, v]) => c.labels[k] === v);
  return false;
}

/**
 * Why a candidate may not be faulted. A container that joined another's network namespace is
 * judged with its owner too: faulting the namespace faults the owner.
 */
function refusal(c: ContainerCandidate, policy: SelectionPolicy): RefusedCandidate | undefined {
  const own = ownRefusal(c, policy);
  if (own || !c.netnsOwner) return own;
  const owner = ownRefusal({ ...c.netnsOwner, running: true }, policy);
  if (!owner) return undefined;
  return {
    id: c.id,
    name: c.name,
    reason: 'netns_owner_refused',
    message: `${c.name} shares the network namespace of ${c.netnsOwner.name}, which may not be faulted: ${owner.message}`,
  };
}

function ownRefusal(c: ContainerCandidate, policy: SelectionPolicy): RefusedCandidate | undefined {
  const optIn = policy.optInLabel ?? OPT_IN_LABEL;
  const optValue = policy.optInValue ?? 'true';
  const role = policy.roleLabel ?? ROLE_LABEL;
  const base = { id: c.id, name: c.name };
  if (c.labels[role] !== undefined)
    return {
      ...base,
      reason: 'gameday_own_container',
      message: `${c.name} belongs to the GameDay service (label ${role}=${c.labels[role]})`,
    };
  if (c.labels[optIn] !== optValue)
    return {
      ...base,
      reason: 'not_opted_in',
      message: `${c.name} has not opted in: label ${optIn}=${optValue} is required`,
    };
  if (c.networkMode === 'host')
    return {
      ...base,
      reason: 'host_network',
      message: `${c.name} uses the host network: a fault there would hit the whole host`,
    };
  if (c.privileged && !policy.allowPrivileged)
    return {
      ...base,
      reason: 'privileged',
      message: `${c.name} is privileged: a fault helper beside it could reach the host (set target.allowPrivileged to accept)`,
    };
  if (!c.running) return { ...base, reason: 'not_running', message: `${c.name} is not running` };
  if (policy.dedupeNetns && c.networkMode === 'none')
    return { ...base, reason: 'no_network', message: `${c.name} has no network (network mode none)` };
  return undefined;
}

function howMany(selection: SelectionSpec, eligible: number): number {
  switch (selection.mode) {
    case 'one':
      return Math.min(1, eligible);
    case 'all':
      return eligible;
    case 'count':
      return Math.min(selection.count ?? 1, eligible);
    case 'percent':
      // At least one when anything is eligible: "10 % of 3 replicas" still means one.
      return eligible === 0
        ? 0
        : Math.min(eligible, Math.max(1, Math.round((eligible * (selection.percent ?? 0)) / 100)));
  }
}

/**
 * Applies the safety policy and the selection mode. Candidates are sorted by name first so the
 * same random draws always pick the same containers.
 */
export function selectTargets(
  candidates: ContainerCandidate[],
  selection: SelectionSpec,
  random: () => number,
  policy: SelectionPolicy,
): TargetSelection {
  const sorted = [...candidates].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  const refused: RefusedCandidate[] = [];
  const deduplicated: TargetSelection['deduplicated'] = [];
  let eligible: ContainerCandidate[] = [];
  for (const c of sorted) {
    const r = refusal(c, policy);
    if (r) refused.push(r);
    else eligible.push(c);
  }
  if (policy.dedupeNetns) {
    const seen = new Map<string, ContainerCandidate>();
    const unique: ContainerCandidate[] = [];
    // The netns owner represents its group; containers that joined it (`container:X`) are dropped.
    const joined = (c: ContainerCandidate) => (c.networkMode.startsWith('container:') ? 1 : 0);
    for (const c of [...eligible].sort((a, b) => joined(a) - joined(b))) {
      const first = seen.get(c.netnsKey);
      if (first) deduplicated.push({ id: c.id, name: c.name, sharesNetnsWith: first.name });
      else {
        seen.set(c.netnsKey, c);
        unique.push(c);
      }
    }
    eligible = unique.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }
  const n = howMany(selection, eligible.length);
  const pool = [...eligible];
  const selected: ContainerCandidate[] = [];
  const draws: number[] = [];
  if (n === pool.length) selected.push(...pool);
  else {
    for (let i = 0; i < n; i++) {
      const draw = random();
      draws.push(draw);
      const idx = Math.min(pool.length - 1, Math.floor(draw * pool.length));
      selected.push(pool.splice(idx, 1)[0]);
    }
  }
  const requested =
    selection.mode === 'count' ? selection.count : selection.mode === 'percent' ? selection.percent : undefined;
  return {
    selected,
    refused,
    deduplicated,
    record: { mode: selection.mode, requested, eligible: eligible.length, chosen: selected.map((c) => c.id), draws },
  };
}

/** Like selectTargets, but an empty result is an error that lists why each match was refused. */
export function selectTargetsOrThrow(
  candidates: ContainerCandidate[],
  target: TargetSpec,
  random: () => number,
  policy: SelectionPolicy,
): TargetSelection {
  const matching = candidates.filter((c) => matchesTarget(c, target));
  const result = selectTargets(matching, target.selection ?? { mode: 'one' }, random, policy);
  if (result.selected.length === 0) {
    const what =
      target.container !== undefined
        ? `container "${target.container}"`
        : target.compose !== undefined
          ? `compose project "${target.compose.project}"${target.compose.service ? ` service "${target.compose.service}"` : ''}`
          : `labels ${JSON.stringify(target.labels)}`;
    const detail = result.refused.length
      ? `: ${result.refused.map((r) => r.message).join('; ')}`
      : ': no container matches';
    throw new TargetSelectionError(`no eligible target for ${what}${detail}`, result.refused);
  }
  return result;
}

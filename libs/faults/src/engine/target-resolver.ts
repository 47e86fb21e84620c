import type Docker from 'dockerode';
import {
  faultTargets,
  selectTargetsOrThrow,
  type ContainerCandidate,
  type FaultSpec,
  type TargetResolution,
  type TargetSpec,
} from '@gameday/core';
import { faultKind } from '../kinds/fault-kind.registry';
import { isNotFound, shortName } from './docker-exec';

function describe(info: Docker.ContainerInspectInfo): ContainerCandidate {
  return {
    id: info.Id,
    name: shortName(info.Name),
    labels: info.Config?.Labels ?? {},
    running: info.State?.Running === true,
    paused: info.State?.Paused === true,
    networkMode: info.HostConfig?.NetworkMode ?? 'default',
    netnsKey: info.NetworkSettings?.SandboxKey || `container:${info.Id}`,
    pid: info.State?.Pid || undefined,
    privileged: info.HostConfig?.Privileged === true,
  };
}

/**
 * Finds the containers a fault's target names on one engine and applies the selection rules of
 * core (opt-in label, refusals, netns de-duplication, one/all/count/percent).
 */
export class TargetResolver {
  constructor(
    private readonly docker: Docker,
    private readonly engine: string,
    private readonly random: () => number = Math.random,
  ) {}

  /** The fault's targets: its one `target`, or those its kind resolves from its selectors (each with resolveOne). */
  resolve(spec: FaultSpec, options: { random?: () => number } = {}): Promise<TargetResolution> {
    const kind = faultKind(spec.kind);
    const one = (t: TargetSpec) => this.resolveOne(t, kind.dedupeNetns, options);
    return kind.resolveTargets ? kind.resolveTargets(spec, one) : one(faultTargets(spec)[0].target);
  }

  /** One target selector: candidates listed and judged by core's selection rules. */
  async resolveOne(
    t: TargetSpec,
    dedupeNetns: boolean,
    options: { random?: () => number } = {},
  ): Promise<TargetResolution> {
    const candidates = await listCandidates(
      this.docker,
      t,
      async (info) => (await inspectCandidate(this.docker, info)).candidate,
    );
    const selection = selectTargetsOrThrow(candidates, t, options.random ?? this.random, {
      dedupeNetns,
      allowPrivileged: t.allowPrivileged === true,
    });
    return {
      targets: selection.selected.map((c) => ({
        engine: this.engine,
        containerId: c.id,
        containerName: c.name,
        netnsId: c.netnsKey,
        pid: c.pid,
        labels: c.labels,
      })),
      refused: selection.refused,
      deduplicated: selection.deduplicated,
      selection: selection.record,
    };
  }
}

/**
 * A container as a candidate, and the inspection of whoever owns its network namespace (itself,
 * or X for `--network container:X`: joined containers are keyed by X's sandbox and judged with X).
 */
export async function inspectCandidate(
  docker: Docker,
  info: Docker.ContainerInspectInfo,
): Promise<{ candidate: ContainerCandidate; netns: Docker.ContainerInspectInfo }> {
  const mode = info.HostConfig?.NetworkMode ?? 'default';
  const self = describe(info);
  if (!mode.startsWith('container:')) return { candidate: self, netns: info };
  const ownerInfo = await docker.getContainer(mode.slice('container:'.length)).inspect();
  const owner = describe(ownerInfo);
  return { candidate: { ...self, netnsKey: owner.netnsKey, netnsOwner: owner }, netns: ownerInfo };
}

/** Docker's list filters for the containers a target (or a peer) names; matchesTarget decides exactly. */
export function listFilters(t: Pick<TargetSpec, 'container' | 'compose' | 'labels'>): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  if (t.container !== undefined) filters.name = [t.container];
  if (t.compose !== undefined)
    filters.label = [
      `com.docker.compose.project=${t.compose.project}`,
      ...(t.compose.service ? [`com.docker.compose.service=${t.compose.service}`] : []),
    ];
  if (t.labels !== undefined) filters.label = Object.entries(t.labels).map(([k, v]) => `${k}=${v}`);
  return filters;
}

/** Lists and inspects the containers a target names; one removed between list and inspect is skipped. */
export async function listCandidates<C>(
  docker: Docker,
  t: Pick<TargetSpec, 'container' | 'compose' | 'labels'>,
  judge: (info: Docker.ContainerInspectInfo) => Promise<C>,
): Promise<C[]> {
  const listed = await docker.listContainers({ all: true, filters: listFilters(t) });
  const candidates: C[] = [];
  for (const summary of listed) {
    try {
      candidates.push(await judge(await docker.getContainer(summary.Id).inspect()));
    } catch (err) {
      if (!isNotFound(err)) throw err; // removed between list and inspect
    }
  }
  return candidates;
}

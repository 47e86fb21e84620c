import type Docker from 'dockerode';
import { selectTargetsOrThrow, type ContainerCandidate, type FaultSpec, type TargetResolution } from '@gameday/core';
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

  async resolve(spec: FaultSpec, options: { random?: () => number } = {}): Promise<TargetResolution> {
    const t = spec.target;
    const filters: Record<string, string[]> = {};
    if (t.container !== undefined) filters.name = [t.container];
    if (t.compose !== undefined)
      filters.label = [
        `com.docker.compose.project=${t.compose.project}`,
        ...(t.compose.service ? [`com.docker.compose.service=${t.compose.service}`] : []),
      ];
    if (t.labels !== undefined) filters.label = Object.entries(t.labels).map(([k, v]) => `${k}=${v}`);
    const listed = await this.docker.listContainers({ all: true, filters });
    const candidates: ContainerCandidate[] = [];
    for (const summary of listed) {
      try {
        candidates.push(await this.candidate(summary.Id));
      } catch (err) {
        if (!isNotFound(err)) throw err; // removed between list and inspect
      }
    }
    const selection = selectTargetsOrThrow(candidates, t, options.random ?? this.random, {
      dedupeNetns: faultKind(spec.kind).dedupeNetns,
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

  private async candidate(id: string): Promise<ContainerCandidate> {
    const info = await this.docker.getContainer(id).inspect();
    const mode = info.HostConfig?.NetworkMode ?? 'default';
    const self = describe(info);
    if (!mode.startsWith('container:')) return self;
    // Joined containers share the owner's sandbox: key them by the owner's, judge the owner too.
    const owner = describe(await this.docker.getContainer(mode.slice('container:'.length)).inspect());
    return { ...self, netnsKey: owner.netnsKey, netnsOwner: owner };
  }
}

import type Docker from 'dockerode';
import {
  peerAsTarget,
  resolveBlackholePeers,
  type BlackholePeer,
  type PeerCandidate,
  type PeerNetwork,
  type PeerResolution,
  type ResolvedTarget,
} from '@gameday/core';
import { inspectCandidate, listCandidates } from './target-resolver';

/** The networks a container's network namespace is attached to, with its IPv4 address on each. */
function networksOf(info: Docker.ContainerInspectInfo): PeerNetwork[] {
  return Object.entries(info.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({
    id: n.NetworkID,
    name,
    ipv4: n.IPAddress || undefined,
  }));
}

/**
 * Resolves a blackhole's peers on the target's engine, now: the containers each container or
 * compose peer names (listed and inspected like targets), judged by core's resolveBlackholePeers
 * against the networks of the target's network namespace. Address peers need no engine.
 */
export async function resolvePeersOnEngine(
  docker: Docker,
  target: ResolvedTarget,
  peers: BlackholePeer[],
): Promise<PeerResolution> {
  const own = await inspectCandidate(docker, await docker.getContainer(target.containerId).inspect());
  const view = { name: target.containerName, netnsKey: own.candidate.netnsKey, networks: networksOf(own.netns) };
  const candidates: PeerCandidate[][] = [];
  for (const peer of peers) {
    if (typeof peer === 'string') {
      candidates.push([]);
      continue;
    }
    candidates.push(
      await listCandidates(docker, peerAsTarget(peer), async (info) => {
        const { candidate, netns } = await inspectCandidate(docker, info);
        return { ...candidate, networks: networksOf(netns) };
      }),
    );
  }
  return resolveBlackholePeers(peers, view, candidates);
}

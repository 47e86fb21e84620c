import { randomBytes } from 'node:crypto';
import {
  compileBlackhole,
  PeerResolutionError,
  type BlackholeFaultSpec,
  type PeerResolution,
  type PreparedFault,
  type PrepareOptions,
  type ResolvedTarget,
} from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import type { HelperCap } from '../../engine/helper-client';
import { resolvePeersOnEngine } from '../../engine/peer-resolver';
import { armSidecar } from '../../engine/sidecar-arming';
import type { PreparedBase } from '../fault-kind';
import type { BlackholeArmed } from './blackhole-part';
import { probeIptables } from './blackhole-probe';

/** iptables-legacy reaches the kernel through a raw socket: the helper needs NET_RAW beside NET_ADMIN. */
export const BLACKHOLE_HELPER_CAPS: HelperCap[] = ['NET_RAW'];

/**
 * The peers' addresses as of now: container and compose peers are looked up on the engine, address
 * peers stay as given (no engine call when there are only those).
 */
export async function resolvePeers(
  engine: FaultEngine,
  spec: Pick<BlackholeFaultSpec, 'peers'>,
  target: ResolvedTarget,
): Promise<PeerResolution | undefined> {
  if (!spec.peers?.some((p) => typeof p !== 'string')) return undefined;
  return resolvePeersOnEngine(engine.docker, target, spec.peers);
}

/**
 * Arms a blackhole ahead of T0: resolves container and compose peers to their addresses (once:
 * the lease keeps them, revert and verify never look again), starts the sidecar helper that will
 * keep its clock, lets the probe choose the iptables variant the kernel supports, and compiles the
 * rules for it under a fresh id (the chains' names). Applies nothing.
 */
export async function armBlackhole(
  engine: FaultEngine,
  spec: BlackholeFaultSpec,
  base: PreparedBase,
  options: PrepareOptions,
): Promise<PreparedFault<BlackholeArmed>> {
  const peers = await resolvePeers(engine, spec, base.target);
  if (peers?.problems.length) throw new PeerResolutionError(peers.problems, engine.id);
  const { helperId, offset, probed } = await armSidecar(
    engine,
    base.target,
    options,
    (runner) => probeIptables(runner, spec, engine.id),
    BLACKHOLE_HELPER_CAPS,
  );
  const compiled = compileBlackhole(spec, { id: randomBytes(4).toString('hex'), tool: probed, peers: peers?.peers });
  const armed = { ...compiled, warnings: [...compiled.warnings, ...(peers?.notes ?? [])] };
  return { ...base, strategy: 'sidecar', armed, helperContainerId: helperId, clockOffset: offset };
}

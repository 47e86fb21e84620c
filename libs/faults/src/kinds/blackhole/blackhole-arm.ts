import { randomBytes } from 'node:crypto';
import { compileBlackhole, type BlackholeFaultSpec, type PreparedFault, type PrepareOptions } from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import type { HelperCap } from '../../engine/helper-client';
import { armSidecar } from '../../engine/sidecar-arming';
import type { PreparedBase } from '../fault-kind';
import { probeIptables } from './blackhole-probe';

/** iptables-legacy reaches the kernel through a raw socket: the helper needs NET_RAW beside NET_ADMIN. */
export const BLACKHOLE_HELPER_CAPS: HelperCap[] = ['NET_RAW'];

/**
 * Arms a blackhole ahead of T0: starts the sidecar helper that will keep its clock, lets the probe
 * choose the iptables variant the kernel supports, and compiles the rules for it under a fresh id
 * (the chains' names). Applies nothing.
 */
export async function armBlackhole(
  engine: FaultEngine,
  spec: BlackholeFaultSpec,
  base: PreparedBase,
  options: PrepareOptions,
): Promise<PreparedFault> {
  const { helperId, offset, probed } = await armSidecar(
    engine,
    base.target,
    options,
    (runner) => probeIptables(runner, spec, engine.id),
    BLACKHOLE_HELPER_CAPS,
  );
  const blackhole = compileBlackhole(spec, { id: randomBytes(4).toString('hex'), tool: probed });
  return { ...base, strategy: 'sidecar', blackhole, helperContainerId: helperId, clockOffset: offset };
}

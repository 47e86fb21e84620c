import { randomBytes } from 'node:crypto';
import {
  compileDns,
  DNS_PORT_MAX,
  DNS_PORT_MIN,
  type DnsFaultSpec,
  type IptablesTool,
  type PreparedFault,
  type PrepareOptions,
} from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import type { HelperCap } from '../../engine/helper-client';
import { parseKeyValues } from '../../engine/helper-protocol';
import { armSidecar } from '../../engine/sidecar-arming';
import type { StepRunner } from '../../engine/step-runner';
import type { PreparedBase } from '../fault-kind';
import type { DnsArmed } from './dns-part';

/**
 * NET_RAW for iptables-legacy; SETUID and SETGID to start the resolver as its own uid (the nat
 * rules let that uid's queries through); KILL to stop it (a uid not the helper's own).
 */
export const DNS_HELPER_CAPS: HelperCap[] = ['NET_RAW', 'SETUID', 'SETGID', 'KILL'];

/** Where the helper writes the resolver's configuration (gameday-helper's state directory). */
export const DNS_CONFIG_PATH = '/var/lib/gameday/dns/dnsdist.conf';

export class DnsRefusedError extends Error {
  constructor(
    readonly containerName: string,
    readonly detail: string,
  ) {
    super(`dns fault refused on ${containerName}: ${detail}; nothing was armed`);
    this.name = 'DnsRefusedError';
  }
}

export interface DnsProbe {
  nameservers: string[];
  port: number;
  tool: IptablesTool;
}

/**
 * `gameday-helper dnsprobe`: the target's nameservers (its resolv.conf), a port free in its netns,
 * and the iptables variant: the one holding Docker's nat rules (our jump must sit in the same
 * table as theirs), else the first that works, nft first (the helper reads the legacy nat table
 * only when nf_tables lacks Docker's rules: reading it instantiates it).
 */
export async function probeDns(runner: StepRunner, containerName: string): Promise<DnsProbe> {
  const r = await runner.run(['gameday-helper', 'dnsprobe']);
  if (r.exitCode !== 0) throw new DnsRefusedError(containerName, `the helper's probe failed: ${r.stderr.trim()}`);
  const kv = parseKeyValues(r.stdout);
  if (kv.tools !== 'ok')
    throw new DnsRefusedError(containerName, 'the helper image lacks dnsdist, conntrack or setpriv');
  const nameservers = (kv.nameservers ?? '').split(',').filter((n) => /^[0-9a-fA-F.:]+$/.test(n));
  if (!nameservers.some((n) => !n.includes(':')))
    throw new DnsRefusedError(containerName, 'the target has no IPv4 nameserver in its /etc/resolv.conf');
  const port = Number(kv.port);
  if (!Number.isInteger(port) || port < DNS_PORT_MIN || port > DNS_PORT_MAX)
    throw new DnsRefusedError(containerName, `no free port for the resolver (probe said ${kv.port})`);
  const order: [IptablesTool, string | undefined][] = [
    ['iptables-nft', kv.nft_nat],
    ['iptables-legacy', kv.legacy_nat],
  ];
  const tool = order.find(([, s]) => s === 'docker')?.[0] ?? order.find(([, s]) => s === 'ok')?.[0];
  if (!tool)
    throw new DnsRefusedError(containerName, 'neither iptables-legacy nor iptables-nft can read the nat table');
  return { nameservers, port, tool };
}

/**
 * Arms a dns fault ahead of T0: starts the dns helper in the target's netns, probes it, compiles
 * the resolver's configuration and the nat rules, has the helper start the resolver (it answers a
 * probe query before this returns) and reads the configuration it wrote back: it must be the one
 * compiled here. Nothing is redirected until T0.
 */
export async function armDns(
  engine: FaultEngine,
  spec: DnsFaultSpec,
  base: PreparedBase,
  options: PrepareOptions,
): Promise<PreparedFault<DnsArmed>> {
  const name = base.target.containerName;
  let compiled: ReturnType<typeof compileDns> | undefined;
  const { helperId, offset } = await armSidecar(
    engine,
    base.target,
    options,
    async (runner) => {
      const probed = await probeDns(runner, name);
      compiled = compileDns(spec, { id: randomBytes(4).toString('hex'), ...probed });
      const started = await runner.run(compiled.start);
      if (started.exitCode !== 0)
        throw new DnsRefusedError(name, started.stderr.trim().replace(/^gameday-helper: /, ''));
      const written = await runner.run(['cat', DNS_CONFIG_PATH]);
      if (written.stdout !== compiled.config)
        throw new DnsRefusedError(name, "the resolver's configuration the helper wrote differs from the one compiled");
      return probed;
    },
    DNS_HELPER_CAPS,
    'dns',
  );
  return { ...base, strategy: 'sidecar', armed: compiled!, helperContainerId: helperId, clockOffset: offset };
}

// The fault kinds the timing bench measures, each with what differs: the spec armed on the bench
// target, the raw way an SRE applies and removes the same fault by hand (one `docker exec` each),
// how the echo stream from outside sees it go in, and what of ours could be left on the target.
import { faultSchema, type FaultSpec, type PreparedFault } from '@gameday/core';
import { blackholeArmed, networkArmed } from '@gameday/faults';

export interface TimingKind {
  name: string;
  /** what the bench's title line says */
  describe: string;
  spec(target: string, echoPort: number): FaultSpec;
  /** the raw commands, run with `docker exec <helper>` in the target's netns */
  raw(prepared: PreparedFault, echoPort: number): { add: string[]; del: string[] };
  /** held: netem delays the echoes; lost: the fault drops them (no echo until it is removed) */
  seenAs: 'held' | 'lost';
  /** a command in the helper whose output counts what of ours is still on the target */
  residual(prepared: PreparedFault): { argv: string[]; count(stdout: string): number };
}

const NETEM_DELAY = '200ms';

const netem: TimingKind = {
  name: 'netem',
  describe: `netem delay ${NETEM_DELAY} on a container`,
  spec: (target) =>
    faultSchema.parse({ kind: 'network', target: { container: target }, netem: { delay: NETEM_DELAY } }),
  raw: (prepared) => {
    const handle = networkArmed(prepared).handle;
    return {
      add: ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', handle, 'netem', 'delay', NETEM_DELAY],
      del: ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', handle],
    };
  },
  seenAs: 'held',
  residual: () => ({
    argv: ['tc', '-j', 'qdisc', 'show', 'dev', 'eth0'],
    count: (out) => (JSON.parse(out) as { kind: string }[]).filter((q) => q.kind === 'netem').length,
  }),
};

const blackhole: TimingKind = {
  name: 'blackhole',
  describe: 'blackhole (drop) of the echo port, ingress, on a container',
  spec: (target, port) =>
    faultSchema.parse({
      kind: 'blackhole',
      target: { container: target },
      direction: 'ingress',
      localPorts: [port],
      action: 'drop',
      protocol: 'tcp',
    }),
  // by hand: one rule first in INPUT, with the iptables variant the helper found in use there
  raw: (prepared, port) => {
    const tool = blackholeArmed(prepared).tool;
    const rule = ['INPUT', '-p', 'tcp', '--dport', String(port), '-j', 'DROP'];
    return { add: [tool, '-w', '-I', ...rule], del: [tool, '-w', '-D', ...rule] };
  },
  seenAs: 'lost',
  // our chains and jumps, and the raw way's rule
  residual: (prepared) => ({
    argv: [blackholeArmed(prepared).tool, '-w', '-S'],
    count: (out) => out.split('\n').filter((l) => /GAMEDAY-|-j DROP/.test(l)).length,
  }),
};

export const TIMING_KINDS: Record<string, TimingKind> = { netem, blackhole };

export function timingKind(name: string): TimingKind {
  const kind = TIMING_KINDS[name];
  if (!kind) throw new Error(`BENCH_KIND=${name}: one of ${Object.keys(TIMING_KINDS).join(', ')}`);
  return kind;
}

import { randomBytes } from 'node:crypto';
import {
  IPTABLES_TOOLS,
  KernelCapabilityError,
  type BlackholeFaultSpec,
  type IptablesTool,
  type KernelFeature,
} from '@gameday/core';
import { runAll, type StepRunner } from '../../engine/step-runner';

interface ProbeStep {
  argv: string[];
  /** the kernel feature a failure of this step reveals as missing */
  feature?: KernelFeature;
}

/**
 * The probe of one iptables variant in the target's netns: list the filter table (the variant
 * works at all), then add to a throwaway chain nobody jumps to (no packet ever sees it) a rule per
 * extension the fault uses; the chain is always flushed and deleted again.
 */
export function iptablesProbeSteps(
  tool: IptablesTool,
  spec: Pick<BlackholeFaultSpec, 'action' | 'ports' | 'localPorts'>,
  id: string = randomBytes(3).toString('hex'),
): { steps: ProbeStep[]; cleanup: string[][] } {
  const ipt = (...w: string[]) => [tool, '-w', ...w];
  const chain = `GDPROBE-${id}`;
  const steps: ProbeStep[] = [
    { argv: ipt('-t', 'filter', '-S'), feature: 'ip_tables' },
    { argv: ipt('-N', chain) },
    { argv: ipt('-A', chain, '-m', 'comment', '--comment', 'gameday-probe', '-j', 'DROP'), feature: 'xt_comment' },
  ];
  if (spec.ports !== undefined || spec.localPorts !== undefined)
    steps.push({
      argv: ipt('-A', chain, '-p', 'tcp', '-m', 'multiport', '--dports', '1,2:3', '-j', 'DROP'),
      feature: 'xt_multiport',
    });
  if (spec.action === 'reject')
    steps.push({
      argv: ipt('-A', chain, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'),
      feature: 'ipt_REJECT',
    });
  return { steps, cleanup: [ipt('-F', chain), ipt('-X', chain)] };
}

type Outcome = { usable: false; why: string } | { usable: true; missing: KernelFeature[]; details: string[] };

async function probeTool(
  runner: StepRunner,
  tool: IptablesTool,
  spec: Pick<BlackholeFaultSpec, 'action' | 'ports' | 'localPorts'>,
): Promise<Outcome> {
  const { steps, cleanup } = iptablesProbeSteps(tool, spec);
  let results;
  try {
    results = await runAll(runner, [...steps.map((s) => s.argv), ...cleanup]);
  } catch (err) {
    for (const argv of cleanup) await runner.run(argv).catch(() => undefined);
    throw err;
  }
  const text = (i: number) =>
    (results[i].stderr.trim() || results[i].stdout.trim()).split('\n')[0] || `exit code ${results[i].exitCode}`;
  if (results[0].exitCode !== 0) return { usable: false, why: `${steps[0].argv.join(' ')}: ${text(0)}` };
  if (results[1].exitCode !== 0)
    return { usable: false, why: `cannot create a probe chain (${steps[1].argv.join(' ')}): ${text(1)}` };
  const missing: KernelFeature[] = [];
  const details: string[] = [];
  steps.forEach((s, i) => {
    if (i < 2 || results[i].exitCode === 0 || !s.feature) return;
    missing.push(s.feature);
    details.push(`${s.argv.join(' ')}: ${text(i)}`);
  });
  return { usable: true, missing, details };
}

/**
 * resetEstablished needs the kernel to destroy sockets on request (CONFIG_INET_DIAG_DESTROY; the
 * lab's user-mode kernel lacks it). Without it `ss -K` destroys nothing and says nothing, so the
 * helper destroys a loopback listener of its own and reads whether ss named it.
 */
export async function probeSocketDestroy(runner: StepRunner, engine: string): Promise<void> {
  const argv = ['gameday-helper', 'resetprobe'];
  const r = await runner.run(argv);
  const answer = /^reset_probe=(.*)$/m.exec(r.stdout)?.[1];
  if (r.exitCode === 0 && answer === 'ok') return;
  if (r.exitCode === 0 && answer === 'unsupported')
    throw new KernelCapabilityError(
      ['CONFIG_INET_DIAG_DESTROY'],
      engine,
      'resetEstablished: ss -K destroyed no socket in the probe',
    );
  throw new Error(
    `resetEstablished: the socket-destroy probe failed (${argv.join(' ')}: ${answer ?? (r.stderr.trim() || `exit code ${r.exitCode}`)})`,
  );
}

/**
 * Chooses the iptables variant for a blackhole in the target's netns: iptables-legacy where the
 * kernel has x_tables (the lab kernel has no IPv4 nf_tables), iptables-nft otherwise. Throws
 * KernelCapabilityError naming what is missing; leaves nothing behind.
 */
export async function probeIptables(
  runner: StepRunner,
  spec: Pick<BlackholeFaultSpec, 'action' | 'ports' | 'localPorts' | 'resetEstablished'>,
  engine: string,
): Promise<IptablesTool> {
  const unusable: string[] = [];
  for (const tool of IPTABLES_TOOLS) {
    const outcome = await probeTool(runner, tool, spec);
    if (!outcome.usable) {
      unusable.push(outcome.why);
      continue;
    }
    if (outcome.missing.length) throw new KernelCapabilityError(outcome.missing, engine, outcome.details.join('; '));
    if (spec.resetEstablished) await probeSocketDestroy(runner, engine);
    return tool;
  }
  throw new KernelCapabilityError(['ip_tables'], engine, unusable.join('; '));
}

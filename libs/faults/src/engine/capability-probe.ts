import { randomBytes } from 'node:crypto';
import { ingressQdiscArgv, ingressRedirectArgv, KernelCapabilityError, type KernelFeature } from '@gameday/core';
import { runAll, type StepRunner } from './step-runner';

export interface ProbeNeeds {
  prio: boolean;
  ingress: boolean;
}

interface ProbeStep {
  argv: string[];
  /** The kernel feature a failure of this step reveals as missing. */
  feature?: KernelFeature;
  /** Skipped when one of these is already known missing (it would fail for the wrong reason). */
  requires?: KernelFeature[];
}

/**
 * Probes, inside the target's netns and on a throwaway veth that carries no traffic, every kernel
 * feature the fault needs: the real interface is never touched, and the probe devices are always
 * deleted again (deleting the veth removes its peer and qdiscs).
 */
export function probeSteps(
  needs: ProbeNeeds,
  id: string = randomBytes(3).toString('hex'),
): { steps: ProbeStep[]; cleanup: string[][] } {
  // Unique names: two faults armed on one netns at the same time must not trip over each other.
  const PROBE_DEV = `gdp${id}a`;
  const PROBE_PEER = `gdp${id}b`;
  const PROBE_IFB = `gdp${id}i`;
  const steps: ProbeStep[] = [
    { argv: ['ip', 'link', 'add', PROBE_DEV, 'type', 'veth', 'peer', 'name', PROBE_PEER] },
    {
      argv: ['tc', 'qdisc', 'add', 'dev', PROBE_DEV, 'root', 'handle', '4744:', 'netem', 'delay', '1ms'],
      feature: 'sch_netem',
    },
    { argv: ['tc', 'qdisc', 'del', 'dev', PROBE_DEV, 'root', 'handle', '4744:', 'netem'] },
  ];
  if (needs.prio) {
    steps.push(
      {
        argv: [
          'tc',
          'qdisc',
          'add',
          'dev',
          PROBE_DEV,
          'root',
          'handle',
          '4744:',
          'prio',
          'bands',
          '2',
          'priomap',
          ...Array<string>(16).fill('0'),
        ],
        feature: 'sch_prio',
      },
      {
        argv: ingressRedirectArgv(PROBE_PEER, PROBE_IFB),
        feature: 'cls_u32',
        requires: ['sch_prio'],
      },
    );
  }
  if (needs.ingress) {
    steps.push(
      { argv: ['ip', 'link', 'add', PROBE_IFB, 'type', 'ifb'], feature: 'ifb' },
      { argv: ingressQdiscArgv(PROBE_PEER), feature: 'sch_ingress' },
      {
        argv: [
          'tc',
          'filter',
          'add',
          'dev',
          PROBE_PEER,
          'parent',
          'ffff:',
          'protocol',
          'all',
          'pref',
          '1',
          'u32',
          'match',
          'u32',
          '0',
          '0',
          'action',
          'mirred',
          'egress',
          'redirect',
          'dev',
          PROBE_IFB,
        ],
        feature: 'act_mirred',
        requires: ['ifb', 'sch_ingress', 'cls_u32'],
      },
    );
  }
  return {
    steps,
    cleanup: [['ip', 'link', 'del', PROBE_DEV], ...(needs.ingress ? [['ip', 'link', 'del', PROBE_IFB]] : [])],
  };
}

export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeError';
  }
}

/**
 * Throws KernelCapabilityError naming the missing module(s) and the engine; leaves nothing behind.
 * Every step and the cleanup go in one batch (one exec through the helper): a step whose
 * prerequisite turned out missing, or that follows a failed set-up, fails harmlessly and is not
 * judged, and the cleanup runs whatever happened before it.
 */
export async function probeKernel(runner: StepRunner, needs: ProbeNeeds, engine: string): Promise<void> {
  const { steps, cleanup } = probeSteps(needs);
  let results: Awaited<ReturnType<typeof runAll>>;
  try {
    results = await runAll(runner, [...steps.map((s) => s.argv), ...cleanup]);
  } catch (err) {
    // the batch may have stopped part-way: the cleanup again, one by one (deleting what is gone fails)
    for (const argv of cleanup) await runner.run(argv).catch(() => undefined);
    throw err;
  }
  const missing: KernelFeature[] = [];
  const details: string[] = [];
  let setupError: string | undefined;
  for (const [i, step] of steps.entries()) {
    if (step.requires?.some((f) => missing.includes(f))) continue;
    const r = results[i];
    if (r.exitCode === 0) continue;
    const text = (r.stderr.trim() || r.stdout.trim()).split('\n')[0];
    const why =
      r.exitCode === 126 || r.exitCode === 127
        ? `${step.argv[0]} cannot be run there (exit code ${r.exitCode}${text ? `: ${text}` : ''}); the exec strategy needs tc and ip in the target, the sidecar strategy brings its own`
        : text || `exit code ${r.exitCode}`;
    if (!step.feature) {
      if (step.argv[2] === 'add') {
        setupError = `cannot create a probe device in the target's network namespace (${step.argv.join(' ')}): ${why}`;
        break;
      }
      continue;
    }
    missing.push(step.feature);
    details.push(`${step.argv.join(' ')}: ${why}`);
  }
  if (setupError) throw new ProbeError(`${setupError} (engine ${engine})`);
  if (missing.length) throw new KernelCapabilityError(missing, engine, details.join('; '));
}

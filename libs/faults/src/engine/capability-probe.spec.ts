import { KernelCapabilityError } from '@gameday/core';
import { probeKernel, probeSteps, ProbeError } from './capability-probe';
import type { StepResult } from './docker-exec';
import type { StepRunner } from './step-runner';

/** A runner answering from a table (by the argv's 4th/6th words): the judging logic, no engine. */
function runner(fail: (argv: string[]) => StepResult | undefined, batch: boolean) {
  const calls: string[][][] = [];
  const one = (argv: string[]) => fail(argv) ?? { exitCode: 0, stdout: '', stderr: '' };
  const r: StepRunner & { calls: string[][][] } = {
    prefix: [],
    calls,
    run: async (argv) => {
      calls.push([argv]);
      return one(argv);
    },
    ...(batch
      ? {
          runAll: async (argvs: string[][]) => {
            calls.push(argvs);
            return argvs.map(one);
          },
        }
      : {}),
  };
  return r;
}

const netemMissing = (argv: string[]) =>
  argv.includes('netem') && argv.includes('add')
    ? { exitCode: 2, stdout: '', stderr: 'Error: Specified qdisc kind is unknown.\n' }
    : undefined;

describe('probeKernel', () => {
  it('sends every step and the cleanup in one batch where the runner has one', async () => {
    const r = runner(() => undefined, true);
    await probeKernel(r, { prio: true, ingress: true }, 'lab');
    const { steps, cleanup } = probeSteps({ prio: true, ingress: true });
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]).toHaveLength(steps.length + cleanup.length);
  });

  it.each([true, false])('names the missing module and the engine (batch %s)', async (batch) => {
    const r = runner(netemMissing, batch);
    const err = await probeKernel(r, { prio: false, ingress: false }, 'lab').catch((e: Error) => e);
    expect(err).toBeInstanceOf(KernelCapabilityError);
    expect((err as KernelCapabilityError).message).toMatch(/sch_netem/);
    expect((err as Error).message).toMatch(/lab/);
  });

  it('does not judge a step whose prerequisite is missing (cls_u32 after a failed prio)', async () => {
    const r = runner(
      (argv) => (argv.includes('prio') || argv.includes('u32') ? { exitCode: 2, stdout: '', stderr: 'no' } : undefined),
      true,
    );
    const err = (await probeKernel(r, { prio: true, ingress: false }, 'lab').catch((e) => e)) as KernelCapabilityError;
    expect(err).toBeInstanceOf(KernelCapabilityError);
    expect(err.message).toMatch(/sch_prio/);
    expect(err.message).not.toMatch(/cls_u32/);
  });

  it('reports a probe device it cannot create as a set-up error, not a missing module', async () => {
    const r = runner(
      (argv) =>
        argv[1] === 'link' && argv[2] === 'add'
          ? { exitCode: 2, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted' }
          : undefined,
      true,
    );
    const err = await probeKernel(r, { prio: false, ingress: false }, 'lab').catch((e) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as Error).message).toMatch(/Operation not permitted/);
  });

  it('runs the cleanup again one by one when the batch itself fails', async () => {
    const r = runner(() => undefined, true);
    r.runAll = async () => {
      throw new Error('helper gone');
    };
    await expect(probeKernel(r, { prio: false, ingress: true }, 'lab')).rejects.toThrow('helper gone');
    expect(r.calls.map((c) => c[0][0] + ' ' + c[0][2])).toEqual(['ip del', 'ip del']);
  });
});

import type { FaultLease, PreparedFault } from '@gameday/core';
import type { ArmedStep } from './armed-step';
import type { ExperimentContext } from './experiment-context';
import { RunControl } from './run-control';
import { StepLanes } from './step-lanes';

/** Lanes over fakes of what they call: which step was applied and reverted, and when. */
function setup(steps: { name: string; from: number; to: number; clock: 'worker' | 'helper' }[], windowMs = 300) {
  const clock = { now: () => new Date() };
  const control = new RunControl(async () => null, clock);
  const t0 = Date.now() + 50;
  const log: string[] = [];
  const lease = (name: string): FaultLease =>
    ({ id: `lease-${name}`, containerName: `c-${name}`, details: { step: name } }) as unknown as FaultLease;
  const armed: ArmedStep[] = steps.map((s) => ({
    name: s.name,
    fault: { kind: 'container' } as ArmedStep['fault'],
    injectAt: t0 + s.from,
    revertAt: t0 + s.to,
    prepared: [],
    pending: s.clock === 'worker' ? [{ name: s.name } as unknown as PreparedFault] : [],
    leases: s.clock === 'helper' ? [lease(s.name)] : [],
    applied: null,
    reverted: null,
    notBegun: false,
  }));
  const at = () => Date.now() - t0;
  const ctx = {
    runId: 'run',
    spec: { name: 'g' },
    // no gate steps: the armed steps above are the experiment's faults
    exp: { name: 'e', durations: { fault: `${windowMs}ms` } },
    ep: { index: 0, injectAt: t0, revertAt: t0 + windowMs },
    control,
    steps: armed,
    leases: armed.flatMap((s) => s.leases),
    live: new Set<string>(),
    prepared: [],
    deps: {
      clock,
      driver: {},
      ledger: {
        apply: async (_d: unknown, p: { name: string }, step: string) => {
          log.push(`apply ${step} +${at()}`);
          return lease(p.name);
        },
      },
      arming: { announce: async () => undefined },
      confirm: {
        injected: async (_r: string, leases: FaultLease[]) => {
          for (const l of leases) log.push(`confirm-applied ${l.details!.step}`);
          return { at: new Date(), skewMs: 0, unverified: [] };
        },
        revertAtPlannedEnd: async (leases: FaultLease[]) => {
          for (const l of leases) log.push(`revert ${l.details!.step} +${at()}`);
          return new Map();
        },
        reverted: async () => ({ at: new Date(), skewMs: 0 }),
      },
      notifier: { notify: async () => undefined },
      metrics: { faultActive: { set: () => undefined } },
    },
  } as unknown as ExperimentContext;
  return { ctx, control, log, armed, t0 };
}

const names = (log: string[], verb: string) => log.filter((l) => l.startsWith(`${verb} `)).map((l) => l.split(' ')[1]);
const offsetOf = (log: string[], verb: string, name: string) =>
  Number(log.find((l) => l.startsWith(`${verb} ${name} `))!.split('+')[1]);

describe('StepLanes', () => {
  it('fires each step at its own instant and ends those that end inside the window', async () => {
    const { ctx, log, armed } = setup([
      { name: 'first', from: 0, to: 100, clock: 'worker' },
      { name: 'later', from: 100, to: 300, clock: 'worker' },
      { name: 'helper', from: 50, to: 150, clock: 'helper' },
    ]);
    const lanes = new StepLanes(ctx);
    await lanes.opening;
    // the window opens with the steps at offset 0 only
    expect(names(log, 'apply')).toEqual(['first']);
    await lanes.settled;
    expect(names(log, 'apply')).toEqual(['first', 'later']);
    expect(offsetOf(log, 'apply', 'later')).toBeGreaterThanOrEqual(100);
    expect(offsetOf(log, 'apply', 'later')).toBeLessThan(150);
    // the step ending with the window is the phases' to revert; the others are reverted in their lane
    expect(names(log, 'revert').sort()).toEqual(['first', 'helper']);
    expect(offsetOf(log, 'revert', 'first')).toBeGreaterThanOrEqual(100);
    expect(names(log, 'confirm-applied').sort()).toEqual(['first', 'helper', 'later']);
    expect(armed.map((s) => s.reverted !== null)).toEqual([true, false, true]);
    // every lease the lanes applied is the experiment's, for the abort and the final revert
    expect(ctx.leases.map((l) => l.id).sort()).toEqual(['lease-first', 'lease-helper', 'lease-later']);
  });

  it('after an abort, a step not begun never begins and every lane ends', async () => {
    const { ctx, control, log } = setup([
      { name: 'first', from: 0, to: 300, clock: 'worker' },
      { name: 'later', from: 150, to: 300, clock: 'worker' },
    ]);
    const lanes = new StepLanes(ctx);
    await lanes.opening;
    control.abort({ trigger: 'operator', reason: 'stop', at: Date.now() });
    await lanes.settled;
    await new Promise((r) => setTimeout(r, 200));
    expect(names(log, 'apply')).toEqual(['first']);
  });

  it('a step that fails after the window opened aborts the run, naming the step', async () => {
    const { ctx, control } = setup([
      { name: 'first', from: 0, to: 300, clock: 'worker' },
      { name: 'broken', from: 50, to: 300, clock: 'worker' },
    ]);
    const apply = (ctx.deps.ledger as unknown as { apply: (...a: unknown[]) => Promise<unknown> }).apply;
    (ctx.deps.ledger as unknown as { apply: unknown }).apply = async (
      d: unknown,
      p: { name: string },
      step: string,
    ) => {
      if (step === 'broken') throw new Error('the target is gone');
      return apply(d, p, step);
    };
    const lanes = new StepLanes(ctx);
    await lanes.opening;
    await lanes.settled;
    expect(control.aborted).toMatchObject({ trigger: 'verification', reason: 'step "broken": the target is gone' });
  });

  it('a step its helpers did not begin (no heartbeat) is left on record: the run goes on, nothing to end', async () => {
    const { ctx, control, log, armed } = setup([
      { name: 'first', from: 0, to: 100, clock: 'helper' },
      { name: 'later', from: 50, to: 150, clock: 'helper' },
    ]);
    // the confirmation found no lease of `first` begun (it records them as not begun)
    (ctx.deps.confirm as unknown as { injected: unknown }).injected = async (_r: string, leases: FaultLease[]) => {
      for (const l of leases) log.push(`confirm-applied ${l.details!.step}`);
      return leases[0].details!.step === 'first' ? null : { at: new Date(), skewMs: 0, unverified: [] };
    };
    const lanes = new StepLanes(ctx);
    await lanes.opening;
    await lanes.settled;
    expect(control.aborted).toBeUndefined();
    expect(names(log, 'confirm-applied')).toEqual(['first', 'later']);
    // only the step in place is ended in its lane
    expect(names(log, 'revert')).toEqual(['later']);
    expect(armed.map((s) => [s.notBegun, s.reverted !== null])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('stop() (the run failed) ends the lanes: no step begins any more', async () => {
    const { ctx, log } = setup([
      { name: 'first', from: 0, to: 300, clock: 'worker' },
      { name: 'later', from: 100, to: 300, clock: 'worker' },
    ]);
    const lanes = new StepLanes(ctx);
    await lanes.opening;
    lanes.stop();
    await lanes.settled;
    await new Promise((r) => setTimeout(r, 150));
    expect(names(log, 'apply')).toEqual(['first']);
  });
});

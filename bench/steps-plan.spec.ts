import { faultSchema, gameDaySpecSchema, planSteps } from '@gameday/core';
import { abortOutcome, activeAt, maxParallel, startsOf, stepsGameDay, stepsPlan, type StepKind } from './steps-plan';

const fault = (kind: StepKind, container: string) =>
  faultSchema.parse(
    kind === 'netem'
      ? { kind: 'network', target: { container }, netem: { delay: '200ms' } }
      : {
          kind: 'blackhole',
          target: { container },
          direction: 'ingress',
          localPorts: [8],
          action: 'drop',
          protocol: 'tcp',
        },
  );
const targets = Array.from({ length: 10 }, (_, i) => `bench-step-${i}`);

describe('the steps bench plan', () => {
  it('is a GameDay the schema takes: 50 steps over 10 targets, 20 at once', () => {
    const plan = stepsPlan({ targets, fault });
    expect(plan).toHaveLength(50);
    expect(new Set(plan.map((p) => p.target)).size).toBe(10);
    expect(maxParallel(plan)).toBe(20);
    const at5s = activeAt(plan, 5_000);
    expect(at5s).toHaveLength(20);
    expect(at5s.filter((p) => p.kind === 'netem')).toHaveLength(10);
    expect(startsOf(plan, 'netem')).toEqual([0, 12_000, 24_000]);
    expect(startsOf(plan, 'blackhole')).toEqual([4_000, 16_000]);
    expect(plan.find((p) => p.name === 't3-blackhole-1')).toMatchObject({
      target: 'bench-step-3',
      kind: 'blackhole',
      offsetMs: 4_000,
      durationMs: 6_000,
    });
  });

  it('is refused by the product when two steps of one kind on one target would overlap', () => {
    const spec = gameDaySpecSchema.parse(stepsGameDay({ targets: targets.slice(0, 1), fault }));
    const exp = spec.experiments[0];
    const steps = exp.steps!.map((s) => (s.name === 't0-netem-2' ? { ...s, at: '7s' } : s));
    expect(planSteps({ ...exp, steps }).issues).toHaveLength(1);
  });

  it('counts a step that ends as another begins once', () => {
    expect(
      maxParallel([
        { offsetMs: 0, durationMs: 10 },
        { offsetMs: 10, durationMs: 10 },
      ]),
    ).toBe(1);
    expect(maxParallel([])).toBe(0);
  });
});

describe('abortOutcome', () => {
  const steps = [
    { name: 'a', offsetMs: 0, durationMs: 8_000 },
    { name: 'b', offsetMs: 4_000, durationMs: 6_000 },
    { name: 'c', offsetMs: 12_000, durationMs: 8_000 },
  ];
  const at = (ms: number) => new Date(100_000 + ms);

  it('takes the last active step gone and counts those not begun', () => {
    const records = [
      { state: 'reverted', appliedAt: at(3), revertedAt: at(5_040) },
      { state: 'reverted', appliedAt: at(4_005), revertedAt: at(5_090) },
      { state: 'reverted' },
    ];
    expect(abortOutcome(steps, records, 100_000, 105_000)).toEqual({ lastGone: 90, active: 2, notBegun: 1 });
  });

  it('fails when a step not begun began, or an active one has no removal', () => {
    const began = [
      { state: 'reverted', appliedAt: at(3), revertedAt: at(5_040) },
      { state: 'reverted', appliedAt: at(4_005), revertedAt: at(5_090) },
      { state: 'reverted', appliedAt: at(12_001), revertedAt: at(20_000) },
    ];
    expect(() => abortOutcome(steps, began, 100_000, 105_000)).toThrow(/not begun at the abort, began/);
    const kept = [{ state: 'applied', appliedAt: at(3) }, ...began.slice(1, 2), { state: 'reverted' }];
    expect(() => abortOutcome(steps, kept, 100_000, 105_000)).toThrow(/no removal on record/);
  });
});

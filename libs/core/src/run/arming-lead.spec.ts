import { faultSchema } from '../faults/fault.schema';
import { ARMING_LEAD, faultsToArm, learnArmingLead, needsArmingLead } from './arming-lead';

describe('learnArmingLead', () => {
  it('gives an engine with no history the cold lead (enough for a slow one-CPU engine to arm)', () => {
    expect(learnArmingLead([])).toEqual({
      leadMs: 60_000,
      source: 'cold',
      samples: 0,
      p90Ms: null,
      faults: 1,
      policy: ARMING_LEAD,
    });
  });

  it('keeps at least the cold lead until the engine has a few armings on record', () => {
    expect(learnArmingLead([1_200, 1_500])).toMatchObject({ leadMs: 60_000, source: 'cold', samples: 2 });
    // a slow first arming counts already: 50 s × 1.5
    expect(learnArmingLead([50_000])).toMatchObject({ leadMs: 75_000, source: 'cold' });
  });

  it.each([
    // a host engine: 1-3 s armings → the floor
    [[1_100, 2_900, 1_400, 1_300], 20_000],
    // the lab engine of the issue: 16 s armings → p90 × 1.5, rounded up to whole seconds
    [[16_000, 15_200, 16_400, 15_900], 25_000],
    // the slow lab machine the demo met: 26-43 s, p90 41 s → 62 s
    [[26_000, 43_000, 31_000, 38_000, 29_000], 62_000],
    // a hung arming does not make every run wait minutes
    [[300_000, 250_000, 280_000], 120_000],
  ])('learns p90 × margin between floor and cap from %j → %i ms', (recent, lead) => {
    expect(learnArmingLead(recent)).toMatchObject({ leadMs: lead, source: 'learned' });
  });

  it('considers only the most recent armings (newest first) and ignores nonsense', () => {
    const recent = [2_000, 2_000, 2_000, ...Array.from({ length: 30 }, () => 100_000)];
    expect(learnArmingLead(recent, { ...ARMING_LEAD, history: 3 })).toMatchObject({ leadMs: 20_000, samples: 3 });
    expect(learnArmingLead([Number.NaN, -5, 2_000])).toMatchObject({ samples: 1 });
  });

  it('follows another policy (tests shorten it)', () => {
    const policy = { floorMs: 1_000, coldMs: 3_000, capMs: 10_000, margin: 2, history: 5, minHistory: 1 };
    expect(learnArmingLead([], policy).leadMs).toBe(3_000);
    expect(learnArmingLead([1_800], policy)).toMatchObject({ leadMs: 4_000, source: 'learned', p90Ms: 1_800 });
  });
});

describe('the lead of an experiment that arms several faults (steps)', () => {
  // the lab e2e's bad-afternoon (three steps) on a fresh engine got the single fault's 60 s and
  // took 66 s: its baseline lost 6.3 s
  it('is the per-fault history times its faults, cold and learned', () => {
    expect(learnArmingLead([], ARMING_LEAD, 3)).toMatchObject({ leadMs: 180_000, source: 'cold', faults: 3 });
    // the lab engine's 16 s per fault (p90 16.28 s), 50 steps: 50 × 16.28 s × 1.5
    const lab = [16_000, 15_200, 16_400, 15_900];
    expect(learnArmingLead(lab, ARMING_LEAD, 50)).toMatchObject({ leadMs: 1_221_000, source: 'learned' });
    // a host engine's 1-3 s: three faults still within the floor
    expect(learnArmingLead([1_100, 2_900, 1_400, 1_300], ARMING_LEAD, 3).leadMs).toBe(20_000);
    // the cap is per fault too
    expect(learnArmingLead([300_000, 250_000, 280_000], ARMING_LEAD, 2).leadMs).toBe(240_000);
  });

  it('counts the faults of the experiment that arms the most among those leaving arming to the lead', () => {
    const durations = { baseline: '30s', fault: '1m', recovery: '30s' };
    const pause = (container: string) =>
      faultSchema.parse({ kind: 'container', target: { container }, action: 'pause' });
    const fault = pause('db');
    const step = (name: string, at: string) => ({ name, fault: pause(name), at, duration: '10s' });
    const steps = [step('a', '0s'), step('b', '20s'), step('c', '40s')];
    expect(faultsToArm([{ fault, durations }])).toBe(1);
    expect(
      faultsToArm([
        { fault, durations },
        { steps, durations },
      ]),
    ).toBe(3);
    // an experiment with its own durations.arming needs no lead
    expect(
      faultsToArm([
        { fault, durations },
        { steps, durations: { ...durations, arming: '2m' } },
      ]),
    ).toBe(1);
  });
});

describe('needsArmingLead', () => {
  it('is true when an experiment leaves its arming to the lead', () => {
    const d = { baseline: '1s', fault: '1s', recovery: '1s' };
    expect(needsArmingLead([{ durations: { ...d, arming: '5s' } }, { durations: d }])).toBe(true);
    expect(needsArmingLead([{ durations: { ...d, arming: '0s' } }])).toBe(false);
  });
});

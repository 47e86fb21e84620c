import { sampleWarnings } from './sample-warnings';

const experiment = (durations: Record<string, string>, tolerances: object, intervals = ['1s']) => ({
  hypothesis: {
    description: 'h',
    probes: intervals.map((interval, i) => ({ name: `p${i}`, interval })),
    tolerances,
  },
  durations: { baseline: '20s', fault: '60s', recovery: '30s', ...durations },
});

const judgeAll = { fault: { maxErrorRate: 0.1 }, recovery: { maxErrorRate: 0.1 }, minSamples: 10 };

describe('sampleWarnings', () => {
  it('says nothing when every judged window can give minSamples', () => {
    expect(sampleWarnings([experiment({}, judgeAll)] as never)).toEqual([]);
  });

  it("names the field of a baseline too short for minSamples at the probes' interval", () => {
    const w = sampleWarnings([experiment({ baseline: '20s', recovery: '60s' }, judgeAll, ['5s'])] as never);
    expect(w).toEqual([
      {
        field: 'experiments[0].durations.baseline',
        message:
          "a 20s baseline gives about 4 sample(s) at the probes' interval (every 5s), fewer than minSamples 10: the verdict would be inconclusive; make it at least 50s or probe more often",
      },
    ]);
  });

  it('adds up the probes of one hypothesis (they are judged together) and uses the default minSamples', () => {
    const tolerances = { fault: { maxErrorRate: 0.1 }, recovery: { maxErrorRate: 0.1 } };
    expect(sampleWarnings([experiment({ baseline: '3s' }, tolerances, ['1s', '1s'])] as never)).toEqual([]);
    expect(sampleWarnings([experiment({ baseline: '3s' }, tolerances, ['1s'])] as never).map((x) => x.field)).toEqual([
      'experiments[0].durations.baseline',
    ]);
  });

  it('judges recovery after its settle, and only the windows the hypothesis checks', () => {
    const w = sampleWarnings([
      experiment({}, { fault: { p95Ms: 300 }, minSamples: 10 }),
      experiment({ fault: '5s', recovery: '12s', settle: '5s' }, judgeAll),
    ] as never);
    // experiment 0 checks only the fault (no baseline-relative tolerance): its baseline is not judged
    expect(w.map((x) => x.field)).toEqual(['experiments[1].durations.fault', 'experiments[1].durations.recovery']);
    expect(w[1].message).toContain('a 12s recovery (after its 5s settle) gives about 7 sample(s)');
    expect(w[1].message).toContain('make it at least 15s');
  });

  it('needs a baseline for baseline-relative fault tolerances', () => {
    const w = sampleWarnings([experiment({ baseline: '2s' }, { fault: { maxP50AboveBaselineMs: 300 } })] as never);
    expect(w.map((x) => x.field)).toEqual(['experiments[0].durations.baseline']);
  });

  it('says nothing for a hypothesis without tolerances (nothing is judged)', () => {
    expect(sampleWarnings([experiment({ baseline: '1s' }, {})] as never)).toEqual([]);
  });
});

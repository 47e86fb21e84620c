import { summarize, type Sample } from './summary';
import { combineVerdicts, evaluateHypothesis } from './verdict';

const many = (n: number, durationMs: number, ok = true, status = ok ? 200 : 500): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ at: i * 100, durationMs, ok, status }));

// the classic demo: ~20 ms baseline; during the fault the timeout path answers 500 in ~300 ms
const classic = {
  baseline: summarize(many(20, 20)),
  fault: summarize(many(20, 305, false, 500)),
  recovery: summarize(many(20, 22)),
};

describe('evaluateHypothesis', () => {
  it('holds when "errors come back within 350 ms" and recovery returns to baseline', () => {
    const r = evaluateHypothesis(classic, {
      fault: { p95Ms: 350, expectedStatus: [500] },
      recovery: { maxDeviationRatio: 1.5, maxErrorRate: 0.01 },
    });
    expect(r.verdict).toBe('hypothesis_held');
    // the baseline met the recovery's own error rate too: the steady state held before the fault
    expect(r.checks.map((c) => `${c.window} ${c.metric}`)).toEqual([
      'baseline errorRate',
      'fault p95Ms',
      'fault statusIn[500]',
      'recovery errorRate',
      'recovery deviationRatio',
    ]);
    expect(r.deviationRatio).toBeCloseTo(15.25, 3);
  });

  it('is violated when the tolerance is tightened, naming the failed check', () => {
    const r = evaluateHypothesis(classic, { fault: { p95Ms: 250 } });
    expect(r.verdict).toBe('hypothesis_violated');
    expect(r.reason).toBe('fault p95Ms 305 (expected <= 250)');
  });

  it('is violated when the service hangs instead of failing fast', () => {
    const hang = { ...classic, fault: summarize(many(20, 6000, true, 200)) };
    const r = evaluateHypothesis(hang, { fault: { p95Ms: 350, expectedStatus: [500] } });
    expect(r.verdict).toBe('hypothesis_violated');
    expect(r.checks.filter((c) => !c.passed).map((c) => c.metric)).toEqual(['p95Ms', 'statusIn[500]']);
  });

  it("judges latency above the same run's baseline, so a slow host does not decide the verdict", () => {
    const robust = {
      fault: {
        maxP50AboveBaselineMs: 350,
        maxP95AboveBaselineMs: 400,
        expectedStatus: [500],
        minStatusMatchRatio: 0.9,
      },
    };
    // a busy lab: every request carries ~200 ms of overhead, before and during the fault
    const slow = {
      baseline: summarize([...many(18, 220), ...many(2, 500)]),
      fault: summarize([...many(18, 510, false, 500), ...many(2, 640, false, 500)]),
      recovery: summarize(many(20, 230)),
    };
    const held = evaluateHypothesis(slow, robust);
    expect(held.verdict).toBe('hypothesis_held');
    expect(held.checks.find((c) => c.metric === 'p50AboveBaselineMs')!.actual).toBe(290);
    // the same lab without service1's timeout: seconds and HTTP 200 → violated on every count
    const hang = { ...slow, fault: summarize(many(20, 2_400, true, 200)) };
    const violated = evaluateHypothesis(hang, robust);
    expect(violated.verdict).toBe('hypothesis_violated');
    expect(violated.checks.filter((c) => !c.passed).map((c) => c.metric)).toEqual([
      'statusIn[500]',
      'p50AboveBaselineMs',
      'p95AboveBaselineMs',
    ]);
    // a baseline-relative check needs a baseline
    const noBaseline = evaluateHypothesis({ ...slow, baseline: summarize([]) }, robust);
    expect(noBaseline.verdict).toBe('inconclusive');
  });

  it('checks minimum error rates (failure is the expected behaviour)', () => {
    const r = evaluateHypothesis(classic, { fault: { minErrorRate: 0.9 } });
    expect(r.verdict).toBe('hypothesis_held');
  });

  it('is inconclusive on too few samples', () => {
    const r = evaluateHypothesis({ ...classic, fault: summarize(many(2, 300, false)) }, { fault: { p95Ms: 350 } });
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toBe('too few samples in fault (2 < 5)');
  });

  it('needs a baseline for deviation checks', () => {
    const r = evaluateHypothesis({ ...classic, baseline: summarize([]) }, { recovery: { maxDeviationRatio: 2 } });
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toMatch(/baseline \(0 < 5\)/);
  });

  it('is inconclusive when the steady state did not hold before the fault', () => {
    // the classic hypothesis on a lab whose baseline was already failing (seen in CI: 5 of 17
    // baseline answers were HTTP 500 and the p50 was 422 ms before anything was injected)
    const robust = {
      fault: { expectedStatus: [500], minStatusMatchRatio: 0.9, maxP50AboveBaselineMs: 350 },
      recovery: { expectedStatus: [200], minStatusMatchRatio: 0.9, maxP50AboveBaselineMs: 100 },
    };
    const sick = {
      baseline: summarize([...many(12, 420), ...many(5, 450, true, 500)]),
      fault: summarize(many(32, 477, true, 500)),
      recovery: summarize(many(26, 110)),
    };
    const r = evaluateHypothesis(sick, robust);
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toBe(
      'the steady state did not hold before the fault: baseline statusIn[200] 0.7058823529411765 (expected >= 0.9)',
    );
    // a steady baseline with the same fault and recovery holds
    const steady = { ...sick, baseline: summarize(many(17, 300)) };
    expect(evaluateHypothesis(steady, robust).verdict).toBe('hypothesis_held');
    // a violated fault check does not outrank an unsteady baseline: nothing can be said about the fault
    const hang = { ...sick, fault: summarize(many(32, 2_400)) };
    expect(evaluateHypothesis(hang, robust).verdict).toBe('inconclusive');
  });

  it('needs enough baseline samples to know the steady state held', () => {
    const r = evaluateHypothesis(
      { ...classic, baseline: summarize(many(2, 20)) },
      { fault: { minErrorRate: 0.9 }, recovery: { maxErrorRate: 0.05 } },
    );
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toBe('too few samples in baseline (2 < 5)');
  });

  describe('when arming overran into the baseline', () => {
    // the run: 20 s baseline, arming took 16 s of it, 4 samples at one a second
    const eaten = { lostMs: 16_000, baselineMs: 20_000 };
    const tolerances = { fault: { minErrorRate: 0.9 }, recovery: { maxErrorRate: 0.05 }, minSamples: 10 };

    it('names arming as the cause of a thin baseline', () => {
      const r = evaluateHypothesis({ ...classic, baseline: summarize(many(4, 20)) }, tolerances, undefined, eaten);
      expect(r.verdict).toBe('inconclusive');
      expect(r.reason).toBe('arming took 16 s of the 20 s baseline (4 < 10 samples)');
    });

    it('keeps naming the other thin windows', () => {
      const r = evaluateHypothesis(
        { ...classic, baseline: summarize(many(4, 20)), fault: summarize(many(3, 305, false, 500)) },
        tolerances,
        undefined,
        { lostMs: 400, baselineMs: 2_000 },
      );
      expect(r.reason).toBe(
        'arming took 0.4 s of the 2 s baseline (4 < 10 samples); too few samples in fault (3 < 10)',
      );
    });

    it('says so beside a verdict the shorter baseline still allowed', () => {
      const r = evaluateHypothesis(classic, tolerances, undefined, { lostMs: 3_000, baselineMs: 30_000 });
      expect(r.verdict).toBe('hypothesis_held');
      expect(r.reason).toBe('all 3 checks passed; arming took 3 s of the 30 s baseline');
    });

    it('leaves an abort reason alone', () => {
      expect(evaluateHypothesis(classic, tolerances, 'stopped', eaten).reason).toBe('stopped');
    });
  });

  it('is inconclusive without any tolerance', () => {
    expect(evaluateHypothesis(classic, {}).verdict).toBe('inconclusive');
  });

  it('stays aborted when aborted, keeping the numbers', () => {
    const r = evaluateHypothesis(classic, { fault: { p95Ms: 350 } }, 'guardrail "errors" breached');
    expect(r.verdict).toBe('aborted');
    expect(r.checks[0].actual).toBe(305);
  });
});

describe('combineVerdicts', () => {
  it.each([
    [['hypothesis_held', 'hypothesis_held'], 'hypothesis_held'],
    [['hypothesis_held', 'inconclusive'], 'inconclusive'],
    [['inconclusive', 'hypothesis_violated'], 'hypothesis_violated'],
    [['hypothesis_violated', 'aborted'], 'aborted'],
    [[], 'inconclusive'],
  ] as const)('%j → %s', (verdicts, expected) => expect(combineVerdicts([...verdicts])).toBe(expected));
});

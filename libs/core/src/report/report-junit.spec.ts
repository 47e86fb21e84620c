import { findAll, readXml, type XmlElement } from '../../../../test/support/xml-reader';
import { escapeXml } from './escape';
import { renderRunReportJunit } from './report-junit';
import { scoreRun } from './resilience-score';
import type { ReportExperiment, RunReport } from './report.types';

const T0 = Date.parse('2030-01-01T10:00:00.000Z');
const plan = { baselineAt: T0, injectAt: T0 + 10_000, revertAt: T0 + 30_000, endAt: T0 + 40_000 };
const windows = {
  planned: {
    baseline: { from: T0, to: T0 + 10_000 },
    fault: { from: T0 + 10_000, to: T0 + 30_000 },
    recovery: { from: T0 + 30_000, to: T0 + 40_000 },
  },
  observed: {
    baseline: { from: T0 + 2_000, to: T0 + 10_000 },
    fault: { from: T0 + 10_002, to: T0 + 30_003 },
    recovery: { from: T0 + 30_003, to: T0 + 40_000 },
  },
  gaps: [{ kind: 'arming', from: T0, to: T0 + 2_000 }],
};
const stats = (count: number, errorRate: number, p95Ms: number) => ({
  count,
  errors: Math.round(count * errorRate),
  errorRate,
  meanMs: p95Ms,
  p50Ms: p95Ms,
  p95Ms,
  p99Ms: p95Ms,
});

function experiment(overrides: Partial<ReportExperiment> = {}): ReportExperiment {
  return {
    index: 0,
    name: 'latency',
    hypothesis: 'errors within 300ms',
    plan,
    windows,
    stats: { baseline: stats(20, 0, 20), fault: stats(40, 1, 301), recovery: stats(20, 0, 21) },
    verdict: {
      verdict: 'hypothesis_violated',
      reason: 'fault p95Ms 512 (expected <= 350)',
      checks: [
        { window: 'baseline', metric: 'errorRate', comparator: '<=', threshold: 0.05, actual: 0, passed: true },
        { window: 'fault', metric: 'p95Ms', comparator: '<=', threshold: 350, actual: 512.34567, passed: false },
        { window: 'recovery', metric: 'errorRate', comparator: '<=', threshold: 0.05, actual: null, passed: false },
      ],
      deviationRatio: 15,
    },
    guardrails: [{ name: 'errors', metric: 'errorRate', threshold: 0.5, window: '10s', for: '5s' }],
    timeToRecoverMs: 140,
    ...overrides,
  };
}

function report(overrides: Partial<Omit<RunReport, 'score'>> = {}): RunReport {
  const base: Omit<RunReport, 'score'> = {
    runId: '11111111-1111-4111-8111-111111111111',
    gameDayId: '22222222-2222-4222-8222-222222222222',
    gameDayName: 'service2 latency',
    mode: 'announced',
    status: 'completed',
    trigger: 'manual',
    verdict: 'hypothesis_violated',
    scheduledFor: T0,
    startedAt: T0 + 5,
    finishedAt: plan.endAt,
    faultDetailsHidden: false,
    experiments: [experiment()],
    events: [],
    samples: [],
    notes: [],
    generatedAt: plan.endAt + 1000,
    ...overrides,
  };
  return { ...base, score: scoreRun(base) };
}

const cases = (doc: XmlElement) => findAll(doc, 'testcase');
const outcome = (tc: XmlElement) => tc.children.find((c) => ['failure', 'error', 'skipped'].includes(c.name));

describe('renderRunReportJunit', () => {
  it('one testsuite per experiment; a testcase per check, guardrail and verdict; counts that add up', () => {
    const doc = readXml(renderRunReportJunit(report()));
    expect(doc.name).toBe('testsuites');
    const [suite] = findAll(doc, 'testsuite');
    expect(suite.attributes).toEqual({
      name: 'service2 latency / experiment 1: latency',
      tests: '5',
      failures: '3',
      errors: '0',
      skipped: '0',
      time: '38.000',
      timestamp: '2030-01-01T10:00:02',
    });
    expect(doc.attributes).toMatchObject({
      name: 'GameDay: service2 latency',
      tests: '5',
      failures: '3',
      errors: '0',
      time: '38.000',
      timestamp: '2030-01-01T10:00:00',
    });
    expect(cases(doc).map((c) => [c.attributes.name, c.attributes.time, outcome(c)?.name ?? 'pass'])).toEqual([
      ['baseline errorRate <= 0.05', '8.000', 'pass'],
      ['fault p95Ms <= 350', '20.001', 'failure'],
      ['recovery errorRate <= 0.05', '9.997', 'failure'],
      ['guardrail errors: errorRate <= 0.5 over 10s (breach after 5s)', '20.001', 'pass'],
      ['hypothesis verdict', '38.000', 'failure'],
    ]);
  });

  it('failure messages say what was expected and what was measured', () => {
    const doc = readXml(renderRunReportJunit(report()));
    const messages = cases(doc).map((c) => outcome(c)?.attributes.message);
    expect(messages[1]).toBe('expected fault p95Ms <= 350, measured 512.346');
    expect(messages[2]).toBe('expected recovery errorRate <= 0.05, measured nothing (no samples to compute it from)');
    expect(messages[4]).toBe(
      'expected hypothesis_held (errors within 300ms), got hypothesis_violated: fault p95Ms 512 (expected <= 350)',
    );
    expect(outcome(cases(doc)[1])!.attributes.type).toBe('check_failed');
  });

  it('a guardrail that stopped the experiment fails with its breach; the verdict fails too', () => {
    const aborted = experiment({
      verdict: {
        verdict: 'aborted',
        reason: 'guardrail "errors": errorRate 0.9 > 0.5',
        checks: [],
        deviationRatio: null,
      },
      aborted: {
        trigger: 'guardrail',
        reason: 'guardrail "errors": errorRate 0.9 > 0.5 for 5000 ms (window 10000 ms)',
        at: T0 + 20_000,
      },
    });
    const doc = readXml(
      renderRunReportJunit(report({ status: 'aborted', verdict: 'aborted', experiments: [aborted] })),
    );
    const [guardrail, verdict] = cases(doc);
    expect(outcome(guardrail)!.attributes).toEqual({
      message:
        'expected errorRate <= 0.5 over 10s (breach after 5s), measured: guardrail "errors": errorRate 0.9 > 0.5 for 5000 ms (window 10000 ms)',
      type: 'guardrail_breached',
    });
    expect(outcome(verdict)!.name).toBe('failure');
    expect(findAll(doc, 'property').find((p) => p.attributes.name === 'gameday.verdict')!.attributes.value).toBe(
      'aborted',
    );
  });

  it('an inconclusive or operator-aborted experiment is an error; one never judged skips its guardrails', () => {
    const inconclusive = experiment({
      verdict: {
        verdict: 'inconclusive',
        reason: 'too few samples in fault (2 < 5)',
        checks: [],
        deviationRatio: null,
      },
    });
    let doc = readXml(renderRunReportJunit(report({ verdict: 'inconclusive', experiments: [inconclusive] })));
    expect(doc.attributes).toMatchObject({ tests: '2', failures: '0', errors: '1' });
    expect(outcome(cases(doc)[1])!.attributes.type).toBe('inconclusive');

    const failed = report({
      status: 'failed',
      verdict: null,
      error: 'engine unreachable',
      experiments: [experiment({ verdict: undefined, windows: undefined })],
    });
    doc = readXml(renderRunReportJunit(failed));
    expect(doc.attributes).toMatchObject({ tests: '2', failures: '0', errors: '1', skipped: '1' });
    expect(outcome(cases(doc)[1])!.attributes.message).toBe(
      'expected hypothesis_held (errors within 300ms), got no verdict: engine unreachable',
    );
    // planned windows stand in for the observed ones
    expect(findAll(doc, 'testsuite')[0].attributes.time).toBe('40.000');
  });

  it('hostile names stay text: markup, quotes, line breaks, control characters and "--"', () => {
    const hostile = 'x"/><testcase name="pwned\'&amp;\n\t\u0000\u001b</testsuites>]]>-- <!-- \uD800';
    const doc = readXml(
      renderRunReportJunit(
        report({
          gameDayName: hostile,
          experiments: [
            experiment({ name: hostile, hypothesis: hostile, verdict: { ...experiment().verdict!, reason: hostile } }),
          ],
        }),
      ),
    );
    const cleaned = ['\u0000', '\u001b', '\uD800'].reduce((t, c) => t.replaceAll(c, '\uFFFD'), hostile);
    expect(doc.attributes.name).toBe(`GameDay: ${cleaned}`);
    expect(cases(doc)).toHaveLength(5);
    expect(cases(doc).every((c) => c.attributes.classname === `${cleaned} / experiment 1: ${cleaned}`)).toBe(true);
    expect(outcome(cases(doc)[1])!.text).toBe(cleaned);
    expect(findAll(doc, 'testcase').some((c) => c.attributes.name === 'pwned')).toBe(false);
  });

  it("the score's deductions of each experiment are its system-out", () => {
    const doc = readXml(renderRunReportJunit(report()));
    expect(findAll(doc, 'system-out')[0].text).toBe(
      '-20 hypothesis_violated: fault p95Ms 512 (expected <= 350)\n-15 check_failed: fault p95Ms: expected <= 350, measured 512.346\n-15 fault_error_rate: fault error rate 100 % against 0 % in the baseline\n-2 arming_overran: arming took 2 s of the 10 s baseline',
    );
  });
});

describe('escapeXml', () => {
  it.each([
    ['a&b<c>d"e\'f', 'a&amp;b&lt;c&gt;d&quot;e&apos;f'],
    ['line\nbreak\ttab\rcr', 'line&#10;break&#9;tab&#13;cr'],
    ['nul\u0000esc\u001bvt\u000b', 'nul\uFFFDesc\uFFFDvt\uFFFD'],
    ['pair \uD83D\uDE00 lone \uD83D end \uDE00', 'pair \uD83D\uDE00 lone \uFFFD end \uFFFD'],
    ['\uFFFE\uFFFF', '\uFFFD\uFFFD'],
    [null, ''],
    [42, '42'],
  ])('%j → %j', (input, expected) => {
    expect(escapeXml(input)).toBe(expected);
  });
});

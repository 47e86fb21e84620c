import { escapeXml as x } from './escape';
import { formatNumber } from './report-sections';
import type { ReportCheck, ReportExperiment, ReportGuardrail, ReportInterval, RunReport } from './report.types';

/**
 * The run report as JUnit XML, for CI systems (Jenkins, GitLab, GitHub actions' test reporters):
 * one <testsuite> per experiment, one <testcase> per hypothesis check (each window's tolerance,
 * judged over the hypothesis probes' samples together, as the verdict judges them), per guardrail
 * and for the experiment's verdict. A failure says what was expected and what was measured.
 * `failure` is a finding about the system (a check failed, the hypothesis was violated, a
 * guardrail stopped the fault); `error` is a run that says nothing either way (inconclusive,
 * aborted by an operator, failed or unfinished).
 */

interface Outcome {
  kind: 'pass' | 'failure' | 'error' | 'skipped';
  type?: string;
  message?: string;
  detail?: string;
}

interface TestCase {
  name: string;
  classname: string;
  seconds: number;
  outcome: Outcome;
}

/** Ant's JUnit schema takes a timestamp without a zone: these are UTC. */
const timestamp = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const seconds = (ms: number) => (Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0);
const span = (i: ReportInterval | undefined) => (i ? seconds(i.to - i.from) : 0);

function windowSeconds(e: ReportExperiment, window: string): number {
  if (window !== 'baseline' && window !== 'fault' && window !== 'recovery') return 0;
  if (e.windows) return span(e.windows.observed[window]);
  if (!e.plan) return 0;
  const { baselineAt, injectAt, revertAt, endAt } = e.plan;
  const planned = { baseline: [baselineAt, injectAt], fault: [injectAt, revertAt], recovery: [revertAt, endAt] };
  return seconds(planned[window][1] - planned[window][0]);
}

function experimentSpan(e: ReportExperiment): { from: number; seconds: number } | null {
  if (e.windows) {
    const { baseline, recovery } = e.windows.observed;
    return { from: baseline.from, seconds: seconds(recovery.to - baseline.from) };
  }
  return e.plan ? { from: e.plan.baselineAt, seconds: seconds(e.plan.endAt - e.plan.baselineAt) } : null;
}

const checkName = (c: ReportCheck) => `${c.window} ${c.metric} ${c.comparator} ${formatNumber(c.threshold)}`;

function checkCase(e: ReportExperiment, c: ReportCheck, classname: string): TestCase {
  const expected = `expected ${checkName(c)}`;
  const measured =
    c.actual === null ? 'measured nothing (no samples to compute it from)' : `measured ${formatNumber(c.actual)}`;
  return {
    name: checkName(c),
    classname,
    seconds: windowSeconds(e, c.window),
    outcome: c.passed
      ? { kind: 'pass' }
      : { kind: 'failure', type: 'check_failed', message: `${expected}, ${measured}`, detail: e.verdict?.reason },
  };
}

function guardrailCase(e: ReportExperiment, g: ReportGuardrail, classname: string): TestCase {
  const scope = `${g.probe ? `probe ${g.probe} ` : ''}${g.metric} <= ${formatNumber(g.threshold)} over ${g.window}${g.for && g.for !== '0s' ? ` (breach after ${g.for})` : ''}`;
  const name = `guardrail ${g.name}: ${scope}`;
  const base = { name, classname, seconds: windowSeconds(e, 'fault') };
  const breached = e.aborted?.trigger === 'guardrail' && e.aborted.reason.startsWith(`guardrail "${g.name}"`);
  if (breached)
    return {
      ...base,
      outcome: {
        kind: 'failure',
        type: 'guardrail_breached',
        message: `expected ${scope}, measured: ${e.aborted!.reason}`,
        detail: 'the guardrail aborted the experiment and its fault was reverted',
      },
    };
  if (!e.verdict) return { ...base, outcome: { kind: 'skipped', message: 'the experiment was not judged' } };
  return { ...base, outcome: { kind: 'pass' } };
}

function verdictCase(report: RunReport, e: ReportExperiment, classname: string): TestCase {
  const base = { name: 'hypothesis verdict', classname, seconds: experimentSpan(e)?.seconds ?? 0 };
  const expected = `expected hypothesis_held${e.hypothesis ? ` (${e.hypothesis})` : ''}`;
  const v = e.verdict;
  if (!v) {
    const why = report.error ?? report.abortReason ?? `the run is ${report.status}`;
    return { ...base, outcome: { kind: 'error', type: 'not_judged', message: `${expected}, got no verdict: ${why}` } };
  }
  const got = `${expected}, got ${v.verdict}: ${v.reason}`;
  if (v.verdict === 'hypothesis_held') return { ...base, outcome: { kind: 'pass' } };
  if (v.verdict === 'hypothesis_violated' || e.aborted?.trigger === 'guardrail')
    return { ...base, outcome: { kind: 'failure', type: v.verdict, message: got } };
  return { ...base, outcome: { kind: 'error', type: v.verdict, message: got } };
}

function caseXml(t: TestCase): string {
  const open = `    <testcase name="${x(t.name)}" classname="${x(t.classname)}" time="${t.seconds.toFixed(3)}"`;
  const o = t.outcome;
  if (o.kind === 'pass') return `${open}/>`;
  const message = o.message === undefined ? '' : ` message="${x(o.message)}"`;
  const type = o.type === undefined ? '' : ` type="${x(o.type)}"`;
  const body = o.detail ? `>${x(o.detail)}</${o.kind}>` : '/>';
  return `${open}>\n      <${o.kind}${message}${type}${body}\n    </testcase>`;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  seconds: number;
}

function counts(cases: TestCase[], secs: number): Counts {
  const n = (kind: Outcome['kind']) => cases.filter((c) => c.outcome.kind === kind).length;
  return { tests: cases.length, failures: n('failure'), errors: n('error'), skipped: n('skipped'), seconds: secs };
}

const countAttributes = (c: Counts) =>
  `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${c.seconds.toFixed(3)}"`;

function suite(report: RunReport, e: ReportExperiment): { xml: string; counts: Counts } {
  const name = `${report.gameDayName} / experiment ${e.index + 1}: ${e.name}`;
  const cases = [
    ...(e.verdict?.checks ?? []).map((c) => checkCase(e, c, name)),
    ...(e.guardrails ?? []).map((g) => guardrailCase(e, g, name)),
    verdictCase(report, e, name),
  ];
  const when = experimentSpan(e);
  const c = counts(cases, when?.seconds ?? 0);
  const props: [string, string][] = [
    ['gameday.run', report.runId],
    ['gameday.experiment', String(e.index)],
    ['gameday.verdict', e.verdict?.verdict ?? 'none'],
  ];
  const lost = report.score.deductions.filter((d) => d.experimentIndex === e.index);
  const out = lost.length
    ? `    <system-out>${x(lost.map((d) => `-${d.points} ${d.code}: ${d.reason}`).join('\n'))}</system-out>\n`
    : '';
  const xml = [
    `  <testsuite name="${x(name)}" ${countAttributes(c)} timestamp="${timestamp(when?.from ?? report.scheduledFor)}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${x(k)}" value="${x(v)}"/>`),
    '    </properties>',
    ...cases.map(caseXml),
    `${out}  </testsuite>`,
  ].join('\n');
  return { xml, counts: c };
}

/** The run report as a JUnit XML document. */
export function renderRunReportJunit(report: RunReport): string {
  const suites = report.experiments.map((e) => suite(report, e));
  const sum = (k: keyof Counts) => suites.reduce((n, s) => n + s.counts[k], 0);
  const total: Counts = {
    tests: sum('tests'),
    failures: sum('failures'),
    errors: sum('errors'),
    skipped: sum('skipped'),
    seconds: sum('seconds'),
  };
  const score = report.score.score === null ? 'none' : String(report.score.score);
  // a comment may not hold "--" (nor end in "-"); ids and verdicts never do, this keeps it so
  const note = x(`GameDay run ${report.runId}: verdict ${report.verdict ?? 'none'}, resilience score ${score}`)
    .replace(/-{2,}/g, '-')
    .replace(/-$/, '- ');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<!-- ${note} -->`,
    `<testsuites name="${x(`GameDay: ${report.gameDayName}`)}" ${countAttributes(total)} timestamp="${timestamp(report.startedAt ?? report.scheduledFor)}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

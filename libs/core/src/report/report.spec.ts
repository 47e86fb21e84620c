import { downsampleSamples } from './downsample';
import { escapeHtml, escapeMarkdown } from './escape';
import { CHART, chartDomain, niceCeiling, renderLatencyChart, xOf } from './latency-chart';
import { renderRunReportHtml } from './report-html';
import { renderRunReportMarkdown } from './report-markdown';
import { faultCommands, formatArgv, timelineRows } from './report-sections';
import { RESILIENCE_SCORE_VERSION } from './resilience-score';
import type { ReportSample, RunReport } from './report.types';

const T0 = Date.parse('2030-01-01T10:00:00.000Z');
const plan = { baselineAt: T0, injectAt: T0 + 10_000, revertAt: T0 + 30_000, endAt: T0 + 40_000 };

function samples(probe = 'front', every = 500): ReportSample[] {
  const out: ReportSample[] = [];
  for (let at = T0; at < plan.endAt; at += every) {
    const phase = at < plan.injectAt ? 'baseline' : at < plan.revertAt ? 'fault' : 'recovery';
    const fault = phase === 'fault';
    out.push({
      experimentIndex: 0,
      probe,
      phase,
      at,
      durationMs: fault ? 300 : 20,
      ok: !fault,
      status: fault ? 500 : 200,
      errorKind: fault ? 'status_mismatch' : null,
    });
  }
  return out;
}

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    runId: '11111111-1111-4111-8111-111111111111',
    gameDayId: '22222222-2222-4222-8222-222222222222',
    gameDayName: 'service2 latency',
    environment: 'staging',
    mode: 'announced',
    status: 'completed',
    trigger: 'manual',
    verdict: 'hypothesis_held',
    deviationRatio: 15,
    scheduledFor: T0,
    startedAt: T0,
    finishedAt: plan.endAt,
    faultDetailsHidden: false,
    experiments: [
      {
        index: 0,
        name: 'latency',
        hypothesis: 'errors within 300ms',
        fault: 'network on demo-service2-1: delay 500ms',
        plan,
        stats: {
          baseline: { count: 20, errors: 0, errorRate: 0, meanMs: 20, p50Ms: 20, p95Ms: 20, p99Ms: 20 },
          fault: { count: 40, errors: 40, errorRate: 1, meanMs: 300, p50Ms: 300, p95Ms: 300, p99Ms: 300 },
          recovery: { count: 20, errors: 0, errorRate: 0, meanMs: 20, p50Ms: 20, p95Ms: 20, p99Ms: 20 },
        },
        verdict: {
          verdict: 'hypothesis_held',
          reason: 'all 1 checks passed',
          checks: [{ window: 'fault', metric: 'p99Ms', comparator: '<=', threshold: 350, actual: 300, passed: true }],
          deviationRatio: 15,
        },
        timeToRecoverMs: 120,
        injectionSkewMs: 3,
        revertSkewMs: 4,
        abortLatencyMs: null,
        targets: [{ containerName: 'demo-service2-1', containerId: 'abcdef0123456789abcdef' }],
      },
    ],
    events: [
      {
        type: 'phase.baseline',
        message: 'measuring the steady state',
        phase: 'baseline',
        experimentIndex: 0,
        plannedAt: T0,
        at: T0 + 5,
      },
      {
        type: 'fault.armed',
        message: 'network fault armed on demo-service2-1 (sidecar)',
        experimentIndex: 0,
        plannedAt: plan.injectAt,
        at: T0 + 800,
        data: {
          containerId: 'abcdef0123456789abcdef',
          applyArgv: [
            ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '7a5c:', 'netem', 'delay', '500ms', '100ms'],
          ],
          revertArgv: [['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '7a5c:']],
        },
      },
      {
        type: 'fault.applied',
        message: 'applied on demo-service2-1 3 ms after the planned instant',
        experimentIndex: 0,
        plannedAt: plan.injectAt,
        at: plan.injectAt + 3,
      },
      {
        type: 'fault.reverted',
        message: 'reverted',
        experimentIndex: 0,
        plannedAt: plan.revertAt,
        at: plan.revertAt + 4,
      },
    ],
    samples: samples(),
    notes: [
      {
        id: 'n1',
        kind: 'note',
        text: 'service1 answered 500 fast',
        author: 'alice',
        done: false,
        createdAt: plan.endAt + 1,
      },
      {
        id: 'n2',
        kind: 'action_item',
        text: 'add a retry budget',
        owner: 'bob',
        author: 'alice',
        done: true,
        createdAt: plan.endAt + 2,
      },
    ],
    generatedAt: plan.endAt + 60_000,
    score: { score: 100, unscoredReason: null, deductions: [], version: RESILIENCE_SCORE_VERSION },
    ...overrides,
  };
}

const attr = (tag: string, name: string) => Number(new RegExp(`${name}="([^"]+)"`).exec(tag)![1]);

describe('latency chart', () => {
  it('shades baseline, fault and recovery at the x of their planned instants', () => {
    const svg = renderLatencyChart({ samples: samples(), plan });
    const domain = chartDomain(samples(), plan)!;
    expect(domain).toEqual({ start: plan.baselineAt, end: plan.endAt });
    const plotW = CHART.width - CHART.left - CHART.right;
    for (const [name, from, to] of [
      ['baseline', plan.baselineAt, plan.injectAt],
      ['fault', plan.injectAt, plan.revertAt],
      ['recovery', plan.revertAt, plan.endAt],
    ] as const) {
      const rect = new RegExp(`<rect class="window window-${name}"[^>]*>`).exec(svg)![0];
      const x = CHART.left + ((from - domain.start) / (domain.end - domain.start)) * plotW;
      const w = ((to - from) / (domain.end - domain.start)) * plotW;
      expect(attr(rect, 'x')).toBeCloseTo(x, 0);
      expect(attr(rect, 'width')).toBeCloseTo(w, 0);
    }
    // 10 s of 40 s: the fault window starts a quarter of the way across the plot
    expect(xOf(plan.injectAt, domain)).toBeCloseTo(CHART.left + plotW / 4, 1);
  });

  it('shades the arming before the baseline, where its samples are measured but not judged', () => {
    const armed = { ...plan, armAt: T0 - 20_000, arming: 'lead' as const };
    const svg = renderLatencyChart({ samples: samples(), plan: armed });
    expect(chartDomain(samples(), armed)).toEqual({ start: armed.armAt, end: plan.endAt });
    const rect = /<rect class="window window-arming"[^>]*>/.exec(svg)![0];
    expect(attr(rect, 'x')).toBeCloseTo(CHART.left, 0);
    // no arming band for a plan without one
    expect(renderLatencyChart({ samples: samples(), plan: { ...plan, armAt: T0 } })).not.toContain('window-arming');
  });

  it('colours points by outcome and draws one series per probe', () => {
    const svg = renderLatencyChart({ samples: [...samples('front'), ...samples('api', 1000)], plan });
    expect(svg.match(/<g class="series"/g)).toHaveLength(2);
    expect(svg).toContain('data-probe="api"');
    expect(svg).toContain('data-probe="front"');
    expect(svg.match(/class="pt err"/g)!.length).toBe(40 + 20);
    expect(svg.match(/class="pt ok"/g)!.length).toBe(40 + 20);
  });

  it('marks injection, revert and abort events', () => {
    const events = [
      { type: 'fault.applied', message: 'x', at: plan.injectAt + 3 },
      { type: 'fault.reverted', message: 'y', at: plan.revertAt },
      { type: 'run.abort', message: 'z', at: plan.revertAt - 1000 },
      { type: 'phase.recovery', message: 'not a marker', at: plan.revertAt },
    ];
    const svg = renderLatencyChart({ samples: samples(), plan, events });
    expect(svg.match(/<g class="marker"/g)).toHaveLength(3);
    const line = /data-event="fault.applied"><line x1="([\d.]+)"/.exec(svg)!;
    expect(Number(line[1])).toBeCloseTo(xOf(plan.injectAt + 3, chartDomain(samples(), plan)!), 1);
  });

  it('escapes probe names and titles', () => {
    const svg = renderLatencyChart({ samples: samples('<script>alert(1)</script>'), plan, title: 'a "b" & <c>' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('a &quot;b&quot; &amp; &lt;c&gt;');
  });

  it('says so when there are no samples, still showing the planned windows', () => {
    const svg = renderLatencyChart({ samples: [], plan });
    expect(svg).toContain('No probe samples recorded');
    expect(svg).toContain('data-window="fault"');
    expect(svg).not.toContain('<circle');
    const bare = renderLatencyChart({ samples: [] });
    expect(bare).toContain('No probe samples recorded');
    expect(bare.startsWith('<svg')).toBe(true);
    expect(bare.endsWith('</svg>')).toBe(true);
  });

  it('downsamples large runs but keeps spikes and errors', () => {
    const many: ReportSample[] = [];
    for (let i = 0; i < 50_000; i++)
      many.push({
        experimentIndex: 0,
        probe: 'front',
        phase: 'baseline',
        at: T0 + i * 2,
        durationMs: 10 + (i % 7),
        ok: true,
      });
    many[12_345] = { ...many[12_345], durationMs: 9_999 };
    many[40_000] = { ...many[40_000], ok: false, errorKind: 'timeout' };
    const thin = downsampleSamples(many, 5_000);
    expect(thin.length).toBeLessThanOrEqual(5_000);
    expect(thin.length).toBeGreaterThan(1_000);
    expect(thin.some((s) => s.durationMs === 9_999)).toBe(true);
    expect(thin.some((s) => !s.ok)).toBe(true);
    expect(thin.every((s, i) => i === 0 || thin[i - 1].at <= s.at)).toBe(true);
    const svg = renderLatencyChart({ samples: many });
    expect(svg.match(/<circle class="pt/g)!.length).toBeLessThanOrEqual(5_000);
    expect(downsampleSamples(many.slice(0, 10), 5_000)).toHaveLength(10);
  });

  it('rounds the latency axis up to 1, 2 or 5 × 10^n', () => {
    expect([0, 0.4, 7, 120, 300, 6_100].map(niceCeiling)).toEqual([1, 0.5, 10, 200, 500, 10_000]);
  });
});

describe('report sections', () => {
  it('takes the exact argv from the fault.armed events', () => {
    const r = report();
    expect(faultCommands(r.events, r.experiments)).toEqual([
      {
        experimentIndex: 0,
        containerId: 'abcdef0123456789abcdef',
        containerName: 'demo-service2-1',
        strategy: 'sidecar',
        apply: [r.events[1].data && (r.events[1].data as { applyArgv: string[][] }).applyArgv[0]],
        revert: [['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '7a5c:']],
      },
    ]);
  });

  it("reads the strategy from the lease recorded in the armed event, not from the event's wording", () => {
    const r = report();
    const armed = r.events[1];
    const events = [
      { ...armed, message: 'fault armed on demo-service2-1', data: { ...(armed.data as object), strategy: 'nsenter' } },
    ];
    expect(faultCommands(events, r.experiments)[0].strategy).toBe('nsenter');
  });

  it('quotes argv elements for reading', () => {
    expect(formatArgv(['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', '500ms'])).toBe(
      'tc qdisc add dev eth0 root netem delay 500ms',
    );
    expect(formatArgv(['sh', '-c', "echo 'hi' there", ''])).toBe(`sh -c 'echo '\\''hi'\\'' there' ''`);
  });

  it('orders the timeline and computes skew from planned instants', () => {
    const rows = timelineRows(report().events);
    expect(rows.map((r) => r.type)).toEqual(['phase.baseline', 'fault.armed', 'fault.applied', 'fault.reverted']);
    expect(rows.map((r) => r.skewMs)).toEqual([5, null, 3, 4]);
  });

  it('escapes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeMarkdown('a | b\n*c*')).toBe('a \\| b \\*c\\*');
  });
});

describe('HTML report', () => {
  it('is one self-contained page with chart, verdict, stats, timeline, argv and notes', () => {
    const html = renderRunReportHtml(report());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toContain('<svg');
    // no external assets or scripts
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).toContain('hypothesis_held');
    expect(html).toContain('&lt;= 350');
    expect(html).toContain('tc qdisc add dev eth0 root handle 7a5c: netem delay 500ms 100ms');
    expect(html).toContain('tc qdisc del dev eth0 root handle 7a5c:');
    expect(html).toContain('demo-service2-1');
    expect(html).toContain('add a retry budget');
    expect(html).toContain('☑');
    expect(html).toContain('service1 answered 500 fast');
    expect(html).toContain('120 ms');
    for (const p of ['baseline', 'fault', 'recovery']) expect(html).toContain(`data-window="${p}"`);
  });

  it('escapes every user-provided string', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const r = report({
      gameDayName: evil,
      notes: [{ id: 'n', kind: 'note', text: evil, owner: evil, author: evil, done: false, createdAt: T0 }],
    });
    r.experiments[0].name = evil;
    r.experiments[0].hypothesis = evil;
    r.events.push({ type: 'run.note', message: evil, at: T0 });
    const html = renderRunReportHtml(r);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it("names a partition's side of each target", () => {
    const r = report();
    r.experiments[0].targets = [
      { containerName: 'shop-api-1', containerId: 'aaaaaaaaaaaa0000', side: 'between.0 (compose shop/api)' },
      { containerName: 'shop-db-1', containerId: 'bbbbbbbbbbbb0000', side: 'between.1 (compose shop/db)' },
    ];
    expect(renderRunReportHtml(r)).toContain(
      '<td>shop-db-1</td><td><code>bbbbbbbbbbbb</code></td><td>between.1 (compose shop/db)</td>',
    );
    expect(renderRunReportMarkdown(r)).toContain('- shop-api-1 (`aaaaaaaaaaaa`), between.0 (compose shop/api)');
  });

  it('leaves out targets and commands when the fault details are hidden', () => {
    const r = report({ faultDetailsHidden: true });
    delete r.experiments[0].fault;
    const html = renderRunReportHtml(r);
    expect(html).toContain('Blind GameDay');
    expect(html).not.toContain('tc qdisc');
    expect(html).not.toContain('abcdef012345');
    const md = renderRunReportMarkdown(r);
    expect(md).not.toContain('tc qdisc');
    expect(md).toContain('Blind GameDay');
  });

  it('renders a run with no samples, no result and no notes', () => {
    const r = report({
      samples: [],
      notes: [],
      verdict: null,
      status: 'arming',
      finishedAt: null,
      experiments: [{ index: 0, name: 'latency', plan }],
    });
    const html = renderRunReportHtml(r);
    expect(html).toContain('No probe samples recorded');
    expect(html).toContain('no verdict yet');
    expect(html).toContain('No action items.');
  });
});

describe('Markdown report', () => {
  it('has the verdict, stats table, checks, timeline, argv and action items', () => {
    const md = renderRunReportMarkdown(report());
    expect(md).toMatch(/^# GameDay report: service2 latency/);
    expect(md).toContain('| phase | count | errors | error rate | p50 | p95 | p99 | mean |');
    expect(md).toContain('| fault | 40 | 40 | 100 % | 300 ms | 300 ms | 300 ms | 300 ms |');
    expect(md).toContain('| fault | p99Ms | \\<= 350 | 300 | pass |');
    expect(md).toContain('tc qdisc add dev eth0 root handle 7a5c: netem delay 500ms 100ms');
    expect(md).toContain('- [x] add a retry budget — owner: bob');
    expect(md).toContain('| 2030-01-01T10:00:10.003Z | 2030-01-01T10:00:10.000Z | 3 ms | `fault.applied` |');
  });

  it('lists each step planned vs applied and reverted, with its outcome (HTML too)', () => {
    const r = report();
    const at = plan.injectAt;
    r.experiments[0].steps = [
      {
        name: 'db-slow',
        kind: 'network',
        plannedStart: at,
        plannedEnd: at + 3_000,
        appliedAt: at + 4,
        revertedAt: at + 3_010,
        injectionSkewMs: 4,
        revertSkewMs: 10,
        outcome: 'completed',
        targets: ['db'],
      },
      {
        name: 'cache|cut',
        kind: 'container',
        plannedStart: at + 3_000,
        plannedEnd: at + 5_000,
        appliedAt: null,
        revertedAt: null,
        injectionSkewMs: null,
        revertSkewMs: null,
        outcome: 'not_begun',
        targets: ['cache'],
      },
    ];
    const md = renderRunReportMarkdown(r);
    expect(md).toContain('| step | kind | planned | applied | reverted | outcome | targets |');
    expect(md).toContain(
      '| db-slow | network | 2030-01-01T10:00:10.000Z → 2030-01-01T10:00:13.000Z | 2030-01-01T10:00:10.004Z (4 ms) | 2030-01-01T10:00:13.010Z (10 ms) | completed | db |',
    );
    expect(md).toContain('| cache\\|cut | container |');
    expect(md).toContain('| — | — | not\\_begun | cache |');
    expect(renderRunReportHtml(r)).toContain('<h3>Steps</h3>');
  });

  it('shows where arming sat and whose time it was in the planned windows', () => {
    const r = report();
    r.experiments[0].plan = { ...plan, armAt: T0 - 20_000, arming: 'lead' };
    expect(renderRunReportMarkdown(r)).toContain(
      "- Windows: arming 2030-01-01T09:59:40.000Z (20 s, the engine's learned lead) → baseline 2030-01-01T10:00:00.000Z → fault",
    );
    r.experiments[0].plan = { ...plan, armAt: T0 - 5_000, arming: 'spec' };
    expect(renderRunReportHtml(r)).toContain('arming 2030-01-01T09:59:55.000Z (5 s, durations.arming) → baseline');
  });

  it('adds a per-probe table when there is more than one probe', () => {
    const r = report();
    const one = { count: 10, errors: 1, errorRate: 0.1, meanMs: 12, p50Ms: 11, p95Ms: 20, p99Ms: 25 };
    r.experiments[0].probes = { front: { baseline: one }, load: { fault: one } };
    const md = renderRunReportMarkdown(r);
    expect(md).toContain('### Statistics by probe');
    expect(md).toContain('| front | baseline | 10 | 1 | 10 % | 11 ms | 20 ms | 25 ms | 12 ms |');
    expect(md).toContain('| load | baseline | 0 | 0 |');
    expect(renderRunReportHtml(r)).toContain('Statistics by probe');
    r.experiments[0].probes = { front: { baseline: one } };
    expect(renderRunReportMarkdown(r)).not.toContain('Statistics by probe');
  });

  it('shows the resilience score and each deduction (HTML too)', () => {
    const r = report({
      score: {
        score: 70,
        unscoredReason: null,
        deductions: [
          { code: 'hypothesis_violated', experimentIndex: 0, reason: 'fault p95Ms 512 | too slow', points: 20 },
          {
            code: 'check_failed',
            experimentIndex: 0,
            reason: 'fault p95Ms: expected <= 350, measured 512',
            points: 10,
          },
        ],
        version: RESILIENCE_SCORE_VERSION,
      },
    });
    const md = renderRunReportMarkdown(r);
    expect(md).toContain('- Resilience score: **70 / 100**');
    expect(md).toContain('| experiment | deduction | points | reason |');
    expect(md).toContain('| 1 | hypothesis\\_violated | −20 | fault p95Ms 512 \\| too slow |');
    const html = renderRunReportHtml(r);
    expect(html).toContain('<span class="score">70 / 100</span>');
    expect(html).toContain('<td>check_failed</td><td class="num">−10</td>');
    const none = report({
      score: { score: null, unscoredReason: 'the run was cancelled', deductions: [], version: 1 },
    });
    expect(renderRunReportMarkdown(none)).toContain('- Resilience score: **none (the run was cancelled)**');
    expect(renderRunReportMarkdown(report())).toContain('_No point lost._');
  });

  it('escapes table-breaking characters', () => {
    const r = report();
    r.events.push({ type: 'run.note', message: 'a | b\nc', at: T0 });
    expect(renderRunReportMarkdown(r)).toContain('a \\| b c');
  });
});

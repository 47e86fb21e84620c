import { escapeHtml as h } from './escape';
import { renderLatencyChart } from './latency-chart';
import {
  actionItems,
  faultCommands,
  formatArgv,
  formatMs,
  formatNumber,
  isoTime,
  judgedWindowsText,
  plannedWindowsText,
  plainNotes,
  probeRows,
  SCORE_HEADER,
  scoreRows,
  scoreText,
  STATS_HEADER,
  statsCells,
  gateRows,
  GATES_HEADER,
  stepRows,
  STEPS_HEADER,
  timelineRows,
} from './report-sections';
import { REPORT_PHASES, type ReportExperiment, type ReportNote, type RunReport } from './report.types';

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:24px 32px;color:#1f2937;background:#fff;line-height:1.45}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.25rem;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}h3{font-size:1.05rem;margin:20px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;font-size:.9rem}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f9fafb}
td.num{text-align:right;font-variant-numeric:tabular-nums}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}pre{background:#f3f4f6;padding:8px;overflow-x:auto;white-space:pre-wrap}
.meta{color:#4b5563}.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600}
.v-hypothesis_held{background:#dcfce7;color:#166534}.v-hypothesis_violated{background:#fee2e2;color:#991b1b}.v-aborted{background:#ffedd5;color:#9a3412}.v-inconclusive,.v-none{background:#e5e7eb;color:#374151}
.pass{color:#166534;font-weight:600}.fail{color:#991b1b;font-weight:600}.hidden-note{background:#fef3c7;border:1px solid #f59e0b;padding:8px 12px;border-radius:6px}
.done{text-decoration:line-through;color:#6b7280}svg.latency-chart{max-width:100%;height:auto;border:1px solid #e5e7eb}
`;

function verdictBadge(verdict: string | null | undefined): string {
  const v = verdict ?? 'none';
  return `<span class="verdict v-${h(v.replace(/[^a-z_]/g, ''))}">${h(verdict ?? 'no verdict yet')}</span>`;
}

function table(header: string[], rows: string[][], numeric: (i: number) => boolean = () => false): string {
  return `<table><thead><tr>${header.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function experimentSection(report: RunReport, e: ReportExperiment): string {
  const samples = report.samples.filter((s) => s.experimentIndex === e.index);
  const events = report.events.filter(
    (ev) => ev.experimentIndex === e.index || (ev.experimentIndex == null && ev.type.startsWith('run.abort')),
  );
  const parts = [
    `<section class="experiment" data-index="${e.index}"><h2>Experiment ${e.index + 1}: ${h(e.name)}</h2>`,
  ];
  if (e.hypothesis) parts.push(`<p><strong>Hypothesis:</strong> ${h(e.hypothesis)}</p>`);
  if (e.fault) parts.push(`<p><strong>Fault:</strong> ${h(e.fault)}</p>`);
  const steps = stepRows(e);
  if (steps.length > 0)
    parts.push(
      '<h3>Steps</h3>',
      table(
        STEPS_HEADER,
        steps.map((r) => r.map(h)),
      ),
    );
  const gates = gateRows(e);
  if (gates.length > 0)
    parts.push(
      '<h3>Gates</h3>',
      table(
        GATES_HEADER,
        gates.map((r) => r.map(h)),
      ),
    );
  if (e.verdict) {
    parts.push(`<p><strong>Verdict:</strong> ${verdictBadge(e.verdict.verdict)} — ${h(e.verdict.reason)}</p>`);
  }
  parts.push(
    table(
      [
        'deviation ratio (fault p95 / baseline p95)',
        'time to recover',
        'injection skew',
        'revert skew',
        'abort latency',
      ],
      [
        [
          formatNumber(e.verdict?.deviationRatio ?? null),
          formatMs(e.timeToRecoverMs),
          formatMs(e.injectionSkewMs),
          formatMs(e.revertSkewMs),
          formatMs(e.abortLatencyMs),
        ].map(h),
      ],
      () => true,
    ),
  );
  parts.push(
    renderLatencyChart({ samples, plan: e.plan, gaps: e.windows?.gaps, events, title: `Probe latency — ${e.name}` }),
  );
  if (e.plan) {
    parts.push(`<p class="meta planned-windows">${h(plannedWindowsText(e.plan))}</p>`);
  }
  const judged = judgedWindowsText(e);
  if (judged) parts.push(`<p class="meta judged-windows">${h(judged)}</p>`);
  parts.push('<h3>Statistics by phase</h3>');
  parts.push(
    table(
      STATS_HEADER,
      REPORT_PHASES.map((p) => [h(p), ...statsCells(e.stats?.[p]).map(h)]),
      (i) => i > 0,
    ),
  );
  const byProbe = probeRows(e);
  if (byProbe.length > 0) {
    parts.push('<h3>Statistics by probe</h3>');
    parts.push(
      table(
        ['probe', ...STATS_HEADER],
        byProbe.map((r) => r.map(h)),
        (i) => i > 1,
      ),
    );
  }
  if (e.verdict && e.verdict.checks.length > 0) {
    parts.push('<h3>Checks</h3>');
    parts.push(
      table(
        ['window', 'metric', 'threshold', 'actual', 'result'],
        e.verdict.checks.map((c) => [
          h(c.window),
          h(c.metric),
          `${h(c.comparator)} ${h(formatNumber(c.threshold))}`,
          h(formatNumber(c.actual)),
          c.passed ? '<span class="pass">pass</span>' : '<span class="fail">fail</span>',
        ]),
      ),
    );
  }
  if (!report.faultDetailsHidden && e.targets && e.targets.length > 0) {
    parts.push('<h3>Targets</h3>');
    parts.push(
      e.targets.some((t) => t.side)
        ? table(
            ['container', 'id', 'side'],
            e.targets.map((t) => [
              h(t.containerName),
              `<code>${h(t.containerId.slice(0, 12))}</code>`,
              h(t.side ?? ''),
            ]),
          )
        : table(
            ['container', 'id'],
            e.targets.map((t) => [h(t.containerName), `<code>${h(t.containerId.slice(0, 12))}</code>`]),
          ),
    );
  }
  const commands = report.faultDetailsHidden
    ? []
    : faultCommands(report.events, report.experiments).filter((c) => c.experimentIndex === e.index);
  if (commands.length > 0) {
    parts.push('<h3>Exact commands</h3>');
    for (const c of commands) {
      parts.push(
        `<p>${h(c.containerName ?? c.containerId ?? 'target')}${c.strategy ? ` <span class="meta">(${h(c.strategy)})</span>` : ''}</p>`,
      );
      parts.push(
        `<pre class="argv"><strong>apply</strong>\n${c.apply.map((a) => h(formatArgv(a))).join('\n')}\n<strong>revert</strong>\n${c.revert.map((a) => h(formatArgv(a))).join('\n')}</pre>`,
      );
    }
  }
  parts.push('</section>');
  return parts.join('');
}

function noteList(notes: ReportNote[], empty: string): string {
  if (notes.length === 0) return `<p class="meta">${h(empty)}</p>`;
  return `<ul>${notes
    .map(
      (n) =>
        `<li class="${n.done ? 'done' : ''}">${n.kind === 'action_item' ? (n.done ? '☑ ' : '☐ ') : ''}${h(n.text)}${n.owner ? ` — <em>${h(n.owner)}</em>` : ''}<span class="meta"> (${h(n.author ?? 'unknown')}, ${h(isoTime(n.createdAt))})</span></li>`,
    )
    .join('')}</ul>`;
}

/** The run report as one self-contained HTML page: inline CSS and SVG, no external assets or scripts. */
export function renderRunReportHtml(report: RunReport): string {
  const rows = timelineRows(report.events);
  const body = [
    `<h1>${h(report.gameDayName)}</h1>`,
    `<p class="meta">Run <code>${h(report.runId)}</code> · ${h(report.trigger)} · scheduled ${h(isoTime(report.scheduledFor))}${report.environment ? ` · environment ${h(report.environment)}` : ''} · mode ${h(report.mode)}</p>`,
    `<p><strong>Status:</strong> ${h(report.status)} &nbsp; <strong>Verdict:</strong> ${verdictBadge(report.verdict)} &nbsp; <strong>Deviation ratio:</strong> ${h(formatNumber(report.deviationRatio ?? null))}</p>`,
    `<p><strong>Resilience score:</strong> <span class="score">${h(scoreText(report))}</span></p>`,
    `<p class="meta">Started ${h(isoTime(report.startedAt))} · finished ${h(isoTime(report.finishedAt))}</p>`,
    report.abortReason ? `<p><strong>Aborted:</strong> ${h(report.abortReason)}</p>` : '',
    report.error ? `<p><strong>Error:</strong> ${h(report.error)}</p>` : '',
    report.faultDetailsHidden
      ? '<p class="hidden-note">Blind GameDay: the fault, its targets and commands are hidden until the run ends or the champion reveals them.</p>'
      : '',
    ...report.experiments.map((e) => experimentSection(report, e)),
    `<h2 id="resilience-score">Resilience score</h2><p><strong>${h(scoreText(report))}</strong> <span class="meta">(scoring version ${report.score.version})</span></p>`,
    report.score.deductions.length > 0
      ? table(
          SCORE_HEADER,
          scoreRows(report).map((r) => r.map(h)),
          (i) => i === 2,
        )
      : report.score.score !== null
        ? '<p class="meta">No point lost.</p>'
        : '',
    '<h2>Timeline</h2>',
    table(
      ['actual', 'planned', 'skew', 'event', 'phase', 'experiment', 'message'],
      rows.map((r) => [
        h(isoTime(r.at)),
        h(isoTime(r.plannedAt)),
        h(formatMs(r.skewMs)),
        `<code>${h(r.type)}</code>`,
        h(r.phase ?? ''),
        r.experimentIndex === null ? '' : String(r.experimentIndex + 1),
        h(r.message),
      ]),
    ),
    '<h2>Action items</h2>',
    noteList(actionItems(report), 'No action items.'),
    '<h2>Notes</h2>',
    noteList(plainNotes(report), 'No notes.'),
    `<p class="meta">Generated ${h(isoTime(report.generatedAt))}</p>`,
  ].join('\n');
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${h(`GameDay report — ${report.gameDayName}`)}</title><style>${STYLE}</style></head><body>\n${body}\n</body></html>\n`;
}

import { escapeMarkdown as m } from './escape';
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

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

function experiment(report: RunReport, e: ReportExperiment): string[] {
  const out = [`## Experiment ${e.index + 1}: ${m(e.name)}`, ''];
  if (e.hypothesis) out.push(`**Hypothesis:** ${m(e.hypothesis)}`, '');
  if (e.fault) out.push(`**Fault:** ${m(e.fault)}`, '');
  if (e.verdict) out.push(`**Verdict:** \`${e.verdict.verdict}\` — ${m(e.verdict.reason)}`, '');
  out.push(
    `- Deviation ratio (fault p95 / baseline p95): ${formatNumber(e.verdict?.deviationRatio ?? null)}`,
    `- Time to recover: ${formatMs(e.timeToRecoverMs)}`,
    `- Injection skew: ${formatMs(e.injectionSkewMs)}; revert skew: ${formatMs(e.revertSkewMs)}; abort latency: ${formatMs(e.abortLatencyMs)}`,
  );
  if (e.plan) out.push(`- ${plannedWindowsText(e.plan)}`);
  const steps = stepRows(e);
  if (steps.length > 0)
    out.push(
      '',
      '### Steps',
      '',
      ...table(
        STEPS_HEADER,
        steps.map((r) => r.map(m)),
      ),
      '',
    );
  const gates = gateRows(e);
  if (gates.length > 0)
    out.push(
      '### Gates',
      '',
      ...table(
        GATES_HEADER,
        gates.map((r) => r.map(m)),
      ),
      '',
    );
  const judged = judgedWindowsText(e);
  if (judged) out.push(`- ${judged}`);
  const samples = report.samples.filter((s) => s.experimentIndex === e.index).length;
  out.push(`- Probe samples: ${samples} (the HTML report charts them)`, '', '### Statistics by phase', '');
  out.push(
    ...table(
      STATS_HEADER,
      REPORT_PHASES.map((p) => [p, ...statsCells(e.stats?.[p])]),
    ),
    '',
  );
  const byProbe = probeRows(e);
  if (byProbe.length > 0)
    out.push(
      '### Statistics by probe',
      '',
      ...table(
        ['probe', ...STATS_HEADER],
        byProbe.map(([probe, ...rest]) => [m(probe), ...rest]),
      ),
      '',
    );
  if (e.verdict && e.verdict.checks.length > 0) {
    out.push('### Checks', '');
    out.push(
      ...table(
        ['window', 'metric', 'threshold', 'actual', 'result'],
        e.verdict.checks.map((c) => [
          m(c.window),
          m(c.metric),
          `${m(c.comparator)} ${formatNumber(c.threshold)}`,
          formatNumber(c.actual),
          c.passed ? 'pass' : '**fail**',
        ]),
      ),
      '',
    );
  }
  if (!report.faultDetailsHidden && e.targets && e.targets.length > 0) {
    out.push(
      '### Targets',
      '',
      ...e.targets.map(
        (t) => `- ${m(t.containerName)} (\`${t.containerId.slice(0, 12)}\`)${t.side ? `, ${m(t.side)}` : ''}`,
      ),
      '',
    );
  }
  const commands = report.faultDetailsHidden
    ? []
    : faultCommands(report.events, report.experiments).filter((c) => c.experimentIndex === e.index);
  if (commands.length > 0) {
    out.push('### Exact commands', '');
    for (const c of commands) {
      out.push(
        `${m(c.containerName ?? c.containerId ?? 'target')}${c.strategy ? ` (${m(c.strategy)})` : ''}:`,
        '',
        '```',
        '# apply',
        ...c.apply.map((a) => formatArgv(a).replace(/```/g, '` ` `')),
        '# revert',
        ...c.revert.map((a) => formatArgv(a).replace(/```/g, '` ` `')),
        '```',
        '',
      );
    }
  }
  return out;
}

function notes(list: ReportNote[], empty: string): string[] {
  if (list.length === 0) return [`_${empty}_`];
  return list.map(
    (n) =>
      `- ${n.kind === 'action_item' ? (n.done ? '[x] ' : '[ ] ') : ''}${m(n.text)}${n.owner ? ` — owner: ${m(n.owner)}` : ''} (${m(n.author ?? 'unknown')}, ${isoTime(n.createdAt)})`,
  );
}

/** The run report as Markdown (for pasting into a post-mortem or a ticket). */
export function renderRunReportMarkdown(report: RunReport): string {
  const out = [
    `# GameDay report: ${m(report.gameDayName)}`,
    '',
    `- Run: \`${report.runId}\` (${m(report.trigger)}), scheduled ${isoTime(report.scheduledFor)}`,
    `- Status: ${m(report.status)}; verdict: \`${report.verdict ?? 'none yet'}\`; deviation ratio: ${formatNumber(report.deviationRatio ?? null)}`,
    `- Started ${isoTime(report.startedAt)}; finished ${isoTime(report.finishedAt)}`,
    `- Mode: ${m(report.mode)}${report.environment ? `; environment: ${m(report.environment)}` : ''}`,
  ];
  out.push(`- Resilience score: **${m(scoreText(report))}** (see "Resilience score" below)`);
  if (report.abortReason) out.push(`- Aborted: ${m(report.abortReason)}`);
  if (report.error) out.push(`- Error: ${m(report.error)}`);
  out.push('');
  if (report.faultDetailsHidden)
    out.push(
      '> Blind GameDay: the fault, its targets and commands are hidden until the run ends or the champion reveals them.',
      '',
    );
  for (const e of report.experiments) out.push(...experiment(report, e));
  out.push('## Resilience score', '', `**${m(scoreText(report))}** (scoring version ${report.score.version})`, '');
  if (report.score.deductions.length > 0)
    out.push(
      ...table(
        SCORE_HEADER,
        scoreRows(report).map((r) => r.map(m)),
      ),
      '',
    );
  else if (report.score.score !== null) out.push('_No point lost._', '');
  out.push('## Timeline', '');
  out.push(
    ...table(
      ['actual', 'planned', 'skew', 'event', 'phase', 'experiment', 'message'],
      timelineRows(report.events).map((r) => [
        isoTime(r.at),
        isoTime(r.plannedAt),
        formatMs(r.skewMs),
        `\`${r.type}\``,
        m(r.phase ?? ''),
        r.experimentIndex === null ? '' : String(r.experimentIndex + 1),
        m(r.message),
      ]),
    ),
    '',
  );
  out.push(
    '## Action items',
    '',
    ...notes(actionItems(report), 'No action items.'),
    '',
    '## Notes',
    '',
    ...notes(plainNotes(report), 'No notes.'),
    '',
    `_Generated ${isoTime(report.generatedAt)}_`,
    '',
  );
  return out.join('\n');
}

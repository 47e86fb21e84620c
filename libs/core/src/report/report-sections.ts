import {
  REPORT_PHASES,
  type ReportEvent,
  type ReportExperiment,
  type ReportPhaseStats,
  type RunReport,
} from './report.types';

/** The exact commands of one armed fault, as recorded on the run's timeline. */
export interface FaultCommands {
  experimentIndex: number | null;
  containerId: string | null;
  containerName: string | null;
  strategy: string | null;
  apply: string[][];
  revert: string[][];
}

export interface TimelineRow {
  type: string;
  phase: string | null;
  experimentIndex: number | null;
  plannedAt: number | null;
  at: number;
  /** actual − planned, when the event had a planned instant */
  skewMs: number | null;
  message: string;
}

/** Events drawn as markers on the chart. */
export const MARKER_EVENTS: Readonly<Record<string, string>> = Object.freeze({
  'fault.applied': 'injected',
  'fault.reverted': 'reverted',
  'run.abort': 'abort',
  'run.abort_requested': 'abort requested',
});

const isArgvList = (v: unknown): v is string[][] =>
  Array.isArray(v) && v.every((a) => Array.isArray(a) && a.every((x) => typeof x === 'string'));

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** tc/docker argv from the `fault.armed` events (apply and revert exactly as handed to the target). */
export function faultCommands(
  events: readonly ReportEvent[],
  experiments: readonly ReportExperiment[] = [],
): FaultCommands[] {
  const names = new Map<string, string>();
  for (const e of experiments) for (const t of e.targets ?? []) names.set(t.containerId, t.containerName);
  return events
    .filter((e) => e.type === 'fault.armed')
    .map((e) => {
      const d = record(e.data);
      const containerId = typeof d.containerId === 'string' ? d.containerId : null;
      // the lease's strategy, as the armed event recorded it; events written before it carried
      // the strategy only in their message
      const strategy = typeof d.strategy === 'string' ? d.strategy : (/\(([^)]+)\)\s*$/.exec(e.message)?.[1] ?? null);
      const fromMessage = /armed on (\S+)/.exec(e.message)?.[1] ?? null;
      return {
        experimentIndex: e.experimentIndex ?? null,
        containerId,
        containerName: (containerId && names.get(containerId)) || fromMessage,
        strategy,
        apply: isArgvList(d.applyArgv) ? d.applyArgv : [],
        revert: isArgvList(d.revertArgv) ? d.revertArgv : [],
      };
    });
}

/** Renders an argv for reading (not for a shell: the service itself never builds shell strings). */
export function formatArgv(argv: readonly string[]): string {
  return argv
    .map((a) => (a === '' ? "''" : /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/**
 * Events whose planned instant is when they themselves should happen (others, such as
 * fault.armed, carry the injection instant they prepare for: no skew there).
 */
const hasSkew = (type: string) => type.startsWith('phase.') || type === 'fault.applied' || type === 'fault.reverted';

export function timelineRows(events: readonly ReportEvent[]): TimelineRow[] {
  return [...events]
    .sort((a, b) => a.at - b.at)
    .map((e) => ({
      type: e.type,
      phase: e.phase ?? null,
      experimentIndex: e.experimentIndex ?? null,
      plannedAt: e.plannedAt ?? null,
      at: e.at,
      skewMs:
        e.plannedAt === null || e.plannedAt === undefined || !hasSkew(e.type) ? null : Math.round(e.at - e.plannedAt),
      message: e.message,
    }));
}

export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '—' : new Date(ms).toISOString();
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return Math.abs(ms) >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms * 10) / 10} ms`;
}

export function formatNumber(n: number | null | undefined, digits = 3): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return String(Math.round(n * 10 ** digits) / 10 ** digits);
}

export function formatRate(r: number | null | undefined): string {
  return r === null || r === undefined || !Number.isFinite(r) ? '—' : `${Math.round(r * 1000) / 10} %`;
}

/** Row cells of the per-phase statistics table, shared by the HTML and Markdown renderers. */
export function statsCells(s: ReportPhaseStats | undefined): string[] {
  if (!s) return ['0', '0', '—', '—', '—', '—', '—'];
  return [
    String(s.count),
    String(s.errors),
    formatRate(s.count === 0 ? null : s.errorRate),
    formatMs(s.p50Ms),
    formatMs(s.p95Ms),
    formatMs(s.p99Ms),
    formatMs(s.meanMs),
  ];
}

export const STATS_HEADER = ['phase', 'count', 'errors', 'error rate', 'p50', 'p95', 'p99', 'mean'];

export function actionItems(report: RunReport) {
  return report.notes.filter((n) => n.kind === 'action_item');
}

export function plainNotes(report: RunReport) {
  return report.notes.filter((n) => n.kind !== 'action_item');
}

/** Rows (probe, phase, …stats) of the per-probe table; empty when there is a single probe. */
export function probeRows(e: ReportExperiment): string[][] {
  const names = Object.keys(e.probes ?? {}).sort();
  if (names.length < 2) return [];
  return names.flatMap((name) => REPORT_PHASES.map((phase) => [name, phase, ...statsCells(e.probes![name][phase])]));
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/**
 * "arming 10:00:00.000Z (learned lead, 20 s) → baseline … → end …": the planned windows, arming
 * included, so a reader sees where it sat and whose time it was. Both formats use it.
 */
export function plannedWindowsText(plan: NonNullable<ReportExperiment['plan']>): string {
  const at = isoTime;
  const armingMs = plan.armAt === undefined ? 0 : plan.baselineAt - plan.armAt;
  const whose = plan.arming === 'lead' ? "the engine's learned lead" : 'durations.arming';
  const arming = plan.armAt === undefined ? '' : `arming ${at(plan.armAt)} (${armingMs / 1000} s, ${whose}) → `;
  return `Windows: ${arming}baseline ${at(plan.baselineAt)} → fault ${at(plan.injectAt)} → recovery ${at(plan.revertAt)} → end ${at(plan.endAt)}`;
}

/** "baseline 10:00:08.000–10:00:20.000, fault …; not judged: arming 8.00 s, …" — one line for both formats. */
export function judgedWindowsText(e: ReportExperiment): string | null {
  if (!e.windows) return null;
  const judged = REPORT_PHASES.map(
    (p) => `${p} ${clock(e.windows!.observed[p].from)}–${clock(e.windows!.observed[p].to)}`,
  ).join(', ');
  const gaps = e.windows.gaps.map((g) => `${g.kind.replace('_', ' ')} ${((g.to - g.from) / 1000).toFixed(2)} s`);
  return `Judged windows (UTC): ${judged}; not judged: ${gaps.length ? gaps.join(', ') : 'nothing'}`;
}

/** "86 / 100" or "none (the run failed before a verdict)": the headline both formats show. */
export function scoreText(report: RunReport): string {
  const s = report.score;
  return s.score === null ? `none (${s.unscoredReason ?? 'not scored'})` : `${s.score} / 100`;
}

export const SCORE_HEADER = ['experiment', 'deduction', 'points', 'reason'];

/** Rows of the score's deductions table, shared by the HTML and Markdown renderers. */
export function scoreRows(report: RunReport): string[][] {
  return report.score.deductions.map((d) => [
    String(d.experimentIndex + 1),
    d.code,
    `−${formatNumber(d.points, 2)}`,
    d.reason,
  ]);
}

export const STEPS_HEADER = ['step', 'kind', 'planned', 'applied', 'reverted', 'outcome', 'targets'];

/** One row per step: its planned instants against when it was really in place. */
export function stepRows(e: ReportExperiment): string[][] {
  const at = (ms: number | null, planned: number) => (ms === null ? '—' : `${isoTime(ms)} (${formatMs(ms - planned)})`);
  return (e.steps ?? []).map((s) => [
    s.name,
    s.kind,
    `${isoTime(s.plannedStart)} → ${isoTime(s.plannedEnd)}`,
    at(s.appliedAt, s.plannedStart),
    at(s.revertedAt, s.plannedEnd),
    s.outcome,
    s.targets.join(', '),
  ]);
}

export const GATES_HEADER = ['gate', 'condition', 'planned', 'passed', 'value', 'outcome'];

/** One row per gate step: its condition, its span and when (if) it was met. */
export function gateRows(e: ReportExperiment): string[][] {
  return (e.gates ?? []).map((g) => [
    g.name,
    g.condition,
    `${isoTime(g.plannedStart)} → ${isoTime(g.plannedEnd)}`,
    g.passedAt === null ? '—' : `${isoTime(g.passedAt)} (+${formatMs(g.passedAt - g.plannedStart)})`,
    formatNumber(g.actual, 3),
    g.outcome,
  ]);
}

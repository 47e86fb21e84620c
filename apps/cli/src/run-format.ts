import type { RunDetailView, RunEventView } from './api-types';

/** The time of day of an instant, UTC with milliseconds: timelines are compared to the millisecond. */
export function timeOfDay(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(11, 23) + 'Z';
}

/** One timeline line: when, what, the message, and how late it was against the plan. */
export function formatEvent(e: RunEventView): string {
  const planned = e.plannedAt ? Date.parse(e.plannedAt) : NaN;
  const at = Date.parse(e.at);
  const skew = Number.isNaN(planned) || Number.isNaN(at) ? '' : ` (${signedMs(at - planned)} vs plan)`;
  return `${timeOfDay(e.at)}  ${e.type.padEnd(20)} ${e.message}${skew}`;
}

function signedMs(ms: number): string {
  const rounded = Math.round(ms);
  return `${rounded >= 0 ? '+' : ''}${rounded} ms`;
}

/** The closing lines of `watch`: outcome, why, and where the report is. */
export function formatRunSummary(
  run: Pick<RunDetailView, 'id' | 'status' | 'verdict' | 'error' | 'abortReason'>,
): string {
  const lines = [`run ${run.id} ${run.status}: ${run.verdict ?? 'no verdict'}`];
  if (run.abortReason) lines.push(`abort reason: ${run.abortReason}`);
  if (run.error) lines.push(`error: ${run.error}`);
  lines.push(`report: gameday report ${run.id} -o report.html`);
  return lines.join('\n') + '\n';
}

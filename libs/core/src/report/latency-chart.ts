import { downsampleSamples, DEFAULT_MAX_CHART_POINTS } from './downsample';
import { escapeHtml } from './escape';
import { MARKER_EVENTS } from './report-sections';
import type { ReportEvent, ReportPlan, ReportSample } from './report.types';

export interface ChartInput {
  samples: readonly ReportSample[];
  plan?: ReportPlan;
  /** time between plan and reality that the verdict did not judge, drawn hatched over the windows */
  gaps?: readonly { kind: string; from: number; to: number }[];
  /** events of this experiment; those in MARKER_EVENTS are drawn as vertical lines */
  events?: readonly ReportEvent[];
  title?: string;
  maxPoints?: number;
}

/** Geometry of the chart, exported so tests can compute where things must be drawn. */
export const CHART = Object.freeze({ width: 960, height: 320, left: 64, right: 16, top: 20, bottom: 40 });
const PLOT_W = CHART.width - CHART.left - CHART.right;
const PLOT_H = CHART.height - CHART.top - CHART.bottom;

const SERIES_COLOURS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
export const ERROR_COLOUR = '#d62728';
const WINDOW_COLOURS: Record<string, string> = {
  arming: '#f3f4f6',
  baseline: '#dbeafe',
  fault: '#fde2e2',
  recovery: '#dcfce7',
};
const MARKER_COLOURS: Record<string, string> = {
  'fault.applied': '#b91c1c',
  'fault.reverted': '#15803d',
  'run.abort': '#7c2d12',
  'run.abort_requested': '#c2410c',
};

export interface TimeDomain {
  start: number;
  end: number;
}

/** The time span the chart covers: the planned windows and every sample. */
export function chartDomain(samples: readonly ReportSample[], plan?: ReportPlan): TimeDomain | null {
  let start = plan ? (plan.armAt ?? plan.baselineAt) : Infinity;
  let end = plan ? plan.endAt : -Infinity;
  for (const s of samples) {
    if (s.at < start) start = s.at;
    if (s.at + s.durationMs > end) end = s.at + s.durationMs;
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) return null;
  if (end <= start) end = start + 1_000;
  return { start, end };
}

/** x pixel of an instant (rounded to 0.1 px, as written into the SVG). */
export function xOf(at: number, domain: TimeDomain): number {
  return round1(CHART.left + ((at - domain.start) / (domain.end - domain.start)) * PLOT_W);
}

function yOf(ms: number, maxMs: number): number {
  return round1(CHART.top + PLOT_H - (Math.min(ms, maxMs) / maxMs) * PLOT_H);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** A round upper bound for the latency axis (1, 2 or 5 × 10^n ms). */
export function niceCeiling(ms: number): number {
  if (!(ms > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(ms));
  for (const m of [1, 2, 5, 10]) if (ms <= m * power) return m * power;
  return 10 * power;
}

function timeTicks(domain: TimeDomain): number[] {
  const spanS = (domain.end - domain.start) / 1000;
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
  const step = (steps.find((s) => spanS / s <= 10) ?? 7200) * 1000;
  const ticks: number[] = [];
  for (let t = 0; t <= domain.end - domain.start + 1e-6; t += step) ticks.push(t);
  return ticks;
}

function tickLabel(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s * 10) / 10}s`;
  return `${Math.floor(s / 60)}m${Math.round(s % 60) ? `${Math.round(s % 60)}s` : ''}`;
}

/**
 * Probe latency over time as a self-contained SVG: one series per probe (points coloured by
 * success or error), the baseline / fault / recovery windows shaded, injection, revert and abort
 * marked. Pure: same input, same string.
 */
export function renderLatencyChart(input: ChartInput): string {
  const title = input.title ?? 'Probe latency over time';
  const open = `<svg xmlns="http://www.w3.org/2000/svg" class="latency-chart" viewBox="0 0 ${CHART.width} ${CHART.height}" width="${CHART.width}" height="${CHART.height}" role="img" aria-label="${escapeHtml(title)}">`;
  const domain = chartDomain(input.samples, input.plan);
  if (!domain || input.samples.length === 0) {
    const note = `<text class="no-samples" x="${CHART.width / 2}" y="${CHART.height / 2}" text-anchor="middle" font-size="14" fill="#555">No probe samples recorded</text>`;
    return `${open}<title>${escapeHtml(title)}</title>${domain && input.plan ? windows(input.plan, domain) : ''}${note}</svg>`;
  }
  const points = downsampleSamples(input.samples, input.maxPoints ?? DEFAULT_MAX_CHART_POINTS);
  const maxMs = niceCeiling(Math.max(...points.map((p) => p.durationMs)));
  const parts: string[] = [open, `<title>${escapeHtml(title)}</title>`];
  if (input.plan) parts.push(windows(input.plan, domain));
  parts.push(gapBands(input.gaps ?? [], domain));
  parts.push(axes(domain, maxMs));
  const probes = [...new Set(points.map((p) => p.probe))].sort();
  probes.forEach((probe, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    const own = points.filter((p) => p.probe === probe);
    const line = own.map((p) => `${xOf(p.at, domain)},${yOf(p.durationMs, maxMs)}`).join(' ');
    const dots = own
      .map(
        (p) =>
          `<circle class="pt ${p.ok ? 'ok' : 'err'}" cx="${xOf(p.at, domain)}" cy="${yOf(p.durationMs, maxMs)}" r="${p.ok ? 2 : 2.5}" fill="${p.ok ? colour : ERROR_COLOUR}"/>`,
      )
      .join('');
    parts.push(
      `<g class="series" data-probe="${escapeHtml(probe)}"><polyline points="${line}" fill="none" stroke="${colour}" stroke-opacity="0.45" stroke-width="1"/>${dots}</g>`,
    );
  });
  parts.push(markers(input.events ?? [], domain));
  parts.push(legend(probes));
  parts.push('</svg>');
  return parts.join('');
}

function windows(plan: ReportPlan, domain: TimeDomain): string {
  const spans: [string, number, number][] = [
    // arming sits before the baseline: samples there are measured but never judged
    ...(plan.armAt !== undefined && plan.armAt < plan.baselineAt
      ? [['arming', plan.armAt, plan.baselineAt] as [string, number, number]]
      : []),
    ['baseline', plan.baselineAt, plan.injectAt],
    ['fault', plan.injectAt, plan.revertAt],
    ['recovery', plan.revertAt, plan.endAt],
  ];
  return spans
    .map(([name, from, to]) => {
      const x = xOf(from, domain);
      const width = round1(Math.max(0, xOf(to, domain) - x));
      return (
        `<rect class="window window-${name}" data-window="${name}" x="${x}" y="${CHART.top}" width="${width}" height="${PLOT_H}" fill="${WINDOW_COLOURS[name]}"><title>${name}: ${new Date(from).toISOString()} → ${new Date(to).toISOString()}</title></rect>` +
        `<text x="${round1(x + 4)}" y="${CHART.top + 12}" font-size="11" fill="#444">${name}</text>`
      );
    })
    .join('');
}

function gapBands(gaps: readonly { kind: string; from: number; to: number }[], domain: TimeDomain): string {
  return gaps
    .map((g) => {
      const x = xOf(g.from, domain);
      const width = round1(Math.max(0, xOf(g.to, domain) - x));
      return `<rect class="gap" data-gap="${escapeHtml(g.kind)}" x="${x}" y="${CHART.top}" width="${width}" height="${PLOT_H}" fill="#999" fill-opacity="0.25"><title>not judged (${escapeHtml(g.kind)}): ${new Date(g.from).toISOString()} → ${new Date(g.to).toISOString()}</title></rect>`;
    })
    .join('');
}

function axes(domain: TimeDomain, maxMs: number): string {
  const bottom = CHART.top + PLOT_H;
  const out = [
    `<line x1="${CHART.left}" y1="${bottom}" x2="${CHART.left + PLOT_W}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${CHART.left}" y1="${CHART.top}" x2="${CHART.left}" y2="${bottom}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const ms = (maxMs * i) / 4;
    const y = yOf(ms, maxMs);
    out.push(
      `<line x1="${CHART.left}" y1="${y}" x2="${CHART.left + PLOT_W}" y2="${y}" stroke="#000" stroke-opacity="0.08"/><text x="${CHART.left - 6}" y="${y + 4}" font-size="11" text-anchor="end" fill="#333">${round1(ms)} ms</text>`,
    );
  }
  for (const t of timeTicks(domain)) {
    const x = xOf(domain.start + t, domain);
    out.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#333"/><text x="${x}" y="${bottom + 16}" font-size="11" text-anchor="middle" fill="#333">+${tickLabel(t)}</text>`,
    );
  }
  out.push(
    `<text x="${CHART.left + PLOT_W / 2}" y="${CHART.height - 4}" font-size="11" text-anchor="middle" fill="#333">time since ${escapeHtml(new Date(domain.start).toISOString())}</text>`,
  );
  return out.join('');
}

function markers(events: readonly ReportEvent[], domain: TimeDomain): string {
  return events
    .filter((e) => e.type in MARKER_EVENTS && e.at >= domain.start && e.at <= domain.end)
    .map((e) => {
      const x = xOf(e.at, domain);
      const colour = MARKER_COLOURS[e.type] ?? '#000';
      return `<g class="marker" data-event="${escapeHtml(e.type)}"><line x1="${x}" y1="${CHART.top}" x2="${x}" y2="${CHART.top + PLOT_H}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="4 3"/><text x="${round1(x + 3)}" y="${CHART.top + 26}" font-size="10" fill="${colour}">${escapeHtml(MARKER_EVENTS[e.type])}</text><title>${escapeHtml(e.message)}</title></g>`;
    })
    .join('');
}

function legend(probes: string[]): string {
  const items = probes.map((p, i) => {
    const x = CHART.left + 8 + i * 140;
    return `<g class="legend-item"><rect x="${x}" y="${CHART.top + PLOT_H - 16}" width="10" height="10" fill="${SERIES_COLOURS[i % SERIES_COLOURS.length]}"/><text x="${x + 14}" y="${CHART.top + PLOT_H - 7}" font-size="11" fill="#222">${escapeHtml(p)}</text></g>`;
  });
  const x = CHART.left + 8 + probes.length * 140;
  items.push(
    `<g class="legend-item"><circle cx="${x + 5}" cy="${CHART.top + PLOT_H - 11}" r="4" fill="${ERROR_COLOUR}"/><text x="${x + 14}" y="${CHART.top + PLOT_H - 7}" font-size="11" fill="#222">error</text></g>`,
  );
  return `<g class="legend">${items.join('')}</g>`;
}

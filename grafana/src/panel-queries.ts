import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARDS_DIR = join(__dirname, '..', 'dashboards');
/** grafana/panel-queries.json: generated with the dashboards, one entry per PromQL expression. */
export const PANEL_QUERIES_FILE = join(__dirname, '..', 'panel-queries.json');

export interface PanelQuery {
  dashboard: string; // dashboard uid
  panel: string; // panel title, or "annotation: <name>"
  refId: string;
  /** The expression exactly as Grafana stores it (may hold $variables). */
  expr: string;
}

interface JsonPanel {
  title?: string;
  type?: string;
  targets?: Array<{ expr?: string; refId?: string }>;
  panels?: JsonPanel[]; // a collapsed row keeps its panels inside
}

interface JsonDashboard {
  uid: string;
  panels?: JsonPanel[];
  annotations?: { list?: Array<{ name?: string; expr?: string; builtIn?: number }> };
}

/** Every PromQL expression of a dashboard: panel targets and Prometheus annotations. */
export function panelQueries(d: JsonDashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const flat = (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  for (const p of flat) {
    for (const t of p.targets ?? []) {
      if (t.expr) out.push({ dashboard: d.uid, panel: p.title ?? '', refId: t.refId ?? '', expr: t.expr });
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.expr) out.push({ dashboard: d.uid, panel: `annotation: ${a.name}`, refId: 'annotation', expr: a.expr });
  }
  return out;
}

/** The committed dashboards (grafana/dashboards/*.json), parsed. */
export function committedDashboards(dir = DASHBOARDS_DIR): JsonDashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as JsonDashboard);
}

export function renderPanelQueries(queries: PanelQuery[]): string {
  return JSON.stringify(queries, null, 2) + '\n';
}

/** Every PromQL query of every committed dashboard: what an end-to-end test runs against Prometheus. */
export function allPanelQueries(dir = DASHBOARDS_DIR): PanelQuery[] {
  return committedDashboards(dir).flatMap(panelQueries);
}

/**
 * Turns a Grafana expression into plain PromQL: template variables select everything (as the
 * dashboards' "All" does) and Grafana's interval macros get fixed values.
 */
export function toPromQL(
  expr: string,
  opts: { rateInterval?: string; interval?: string; range?: string } = {},
): string {
  return expr
    .replace(/\$__rate_interval\b/g, opts.rateInterval ?? '1m')
    .replace(/\$__interval\b/g, opts.interval ?? '15s')
    .replace(/\$__range\b/g, opts.range ?? '1h')
    .replace(/\$\{?(gameday|experiment)\}?/g, '.*');
}

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildDashboards, renderDashboard } from './dashboards';
import {
  allPanelQueries,
  DASHBOARDS_DIR,
  PANEL_QUERIES_FILE,
  panelQueries,
  renderPanelQueries,
  toPromQL,
} from './panel-queries';

const generated = buildDashboards();

describe('committed dashboards', () => {
  it('are exactly what the generator produces (regenerate: node -r @swc-node/register grafana/src/generate.ts)', () => {
    const committed = readdirSync(DASHBOARDS_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(committed).toEqual(Object.keys(generated).sort());
    for (const [file, d] of Object.entries(generated)) {
      expect(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')).toBe(renderDashboard(d));
    }
  });

  it('come with grafana/panel-queries.json listing every query they hold', () => {
    const fromJson = JSON.parse(readFileSync(PANEL_QUERIES_FILE, 'utf8')) as unknown;
    expect(fromJson).toEqual(allPanelQueries());
    expect(readFileSync(PANEL_QUERIES_FILE, 'utf8')).toBe(renderPanelQueries(allPanelQueries()));
  });

  it('have unique uids and every panel a title and a Prometheus query on the provisioned datasource', () => {
    const uids = Object.values(generated).map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const d of Object.values(generated)) {
      for (const p of (d.panels ?? []) as Array<{
        type: string;
        title?: string;
        targets?: Array<{ expr?: string; datasource?: { uid?: string } }>;
      }>) {
        if (p.type === 'row') continue;
        expect(p.title).toBeTruthy();
        expect(p.targets?.length).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expect(t.expr).toBeTruthy();
          expect(t.datasource?.uid).toBe('prometheus');
        }
      }
    }
  });

  it('show fault windows from gameday_fault_active on every dashboard', () => {
    for (const d of Object.values(generated)) {
      expect(d.annotations?.list?.some((a) => (a as { expr?: string }).expr?.includes('gameday_fault_active'))).toBe(
        true,
      );
    }
  });

  it('use only metric names of the design', () => {
    const names = new Set(allPanelQueries().flatMap((q) => q.expr.match(/\b[a-z_]+(?=\{|\[|\)| |$)/g) ?? []));
    const metrics = [...names].filter(
      (n) => n.startsWith('gameday_') || n.startsWith('http_server') || n.startsWith('demo_'),
    );
    expect(metrics.sort()).toEqual([
      'demo_upstream_timeouts_total',
      'gameday_fault_active',
      'gameday_fault_injections_total',
      'gameday_fault_reverts_total',
      'gameday_injection_skew_seconds_bucket',
      'gameday_probe_duration_seconds_bucket',
      'gameday_probe_requests_total',
      'gameday_queue_jobs',
      'gameday_runs_created_total',
      'gameday_runs_total',
      'gameday_steady_state_deviation_ratio',
      'http_server_request_duration_seconds_bucket',
      'http_server_request_duration_seconds_count',
    ]);
  });
});

describe('panel query export', () => {
  it('lists panel targets and annotations with their dashboard', () => {
    const qs = panelQueries({
      uid: 'd',
      panels: [
        { title: 'row', type: 'row', panels: [{ title: 'inner', targets: [{ refId: 'A', expr: 'up' }] }] },
        { title: 'p', targets: [{ refId: 'A', expr: 'a' }, { refId: 'B' }] },
      ],
      annotations: {
        list: [
          { name: 'builtin', builtIn: 1 },
          { name: 'w', expr: 'x > 0' },
        ],
      },
    });
    expect(qs).toEqual([
      { dashboard: 'd', panel: 'inner', refId: 'A', expr: 'up' },
      { dashboard: 'd', panel: 'p', refId: 'A', expr: 'a' },
      { dashboard: 'd', panel: 'annotation: w', refId: 'annotation', expr: 'x > 0' },
    ]);
  });

  it('covers every committed dashboard', () => {
    const byDashboard = new Set(allPanelQueries().map((q) => q.dashboard));
    expect([...byDashboard].sort()).toEqual(['gameday-demo', 'gameday-overview', 'gameday-steady-state']);
  });

  it('turns Grafana variables and macros into plain PromQL', () => {
    expect(
      toPromQL('rate(x{gameday=~"$gameday", experiment=~"${experiment}"}[$__rate_interval])', { rateInterval: '20s' }),
    ).toBe('rate(x{gameday=~".*", experiment=~".*"}[20s])');
    for (const q of allPanelQueries()) expect(toPromQL(q.expr)).not.toContain('$');
  });
});

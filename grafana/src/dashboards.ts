import { Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard, labelVariable, stat, timeseries } from './panels';

// Metric names come from libs/metrics (DESIGN.md "Metrics"): gameday_* for the service itself,
// http_server_request_duration_seconds and demo_upstream_timeouts_total for the demo system.
const GD = 'gameday=~"$gameday"';
const GDX = `gameday=~"$gameday", experiment=~"$experiment"`;

/**
 * errors / all, by one label. With no error at all the numerator has no series, and a plain
 * division would show "no data" where the truth is 0 %: `or (… * 0)` fills it in.
 */
function errorRatio(errors: string, all: string, by: string): string {
  const rate = (sel: string): string => `sum by (${by}) (rate(${sel}[$__rate_interval]))`;
  return `(${rate(errors)} or ${rate(all)} * 0) / ${rate(all)}`;
}

function overview(): Dashboard {
  return baseDashboard(
    'gameday-overview',
    'GameDay overview',
    'Scheduled and running work, verdicts, faults currently applied.',
  )
    .withRow(new RowBuilder('Now'))
    .withPanel(
      stat(
        'Scheduled jobs',
        { expr: 'sum(gameday_queue_jobs{state="delayed"})' },
        { description: 'Delayed BullMQ jobs: planned runs, injections and reverts.' },
      ),
    )
    .withPanel(stat('Running jobs', { expr: 'sum(gameday_queue_jobs{state="active"})' }))
    .withPanel(
      stat(
        'Faults active',
        { expr: 'sum(gameday_fault_active)' },
        { description: 'Targets with a fault applied right now. Anything above 0 outside a GameDay is an incident.' },
      ),
    )
    .withPanel(stat('Failed jobs', { expr: 'sum(gameday_queue_jobs{state="failed"})' }))
    .withRow(new RowBuilder('Runs'))
    .withPanel(
      timeseries('Runs finished by verdict', [
        { expr: 'sum by (verdict) (gameday_runs_total)', legend: '{{verdict}}' },
      ]),
    )
    .withPanel(
      timeseries('Runs created by trigger', [
        { expr: 'sum by (trigger) (gameday_runs_created_total)', legend: '{{trigger}}' },
      ]),
    )
    .withPanel(
      timeseries('Fault active by target', [
        { expr: 'max by (gameday, experiment, target) (gameday_fault_active)', legend: '{{target}} ({{gameday}})' },
      ]),
    )
    .withPanel(
      timeseries('Queue jobs by state', [
        { expr: 'sum by (queue, state) (gameday_queue_jobs)', legend: '{{queue}} {{state}}' },
      ]),
    )
    .withRow(new RowBuilder('Fault engine'))
    .withPanel(
      timeseries('Injections and reverts', [
        { expr: 'sum by (result, reason) (gameday_fault_injections_total)', legend: 'inject {{result}} {{reason}}' },
        { expr: 'sum by (result, reason) (gameday_fault_reverts_total)', legend: 'revert {{result}} {{reason}}' },
      ]),
    )
    .withPanel(
      timeseries(
        'Injection skew (actual − planned), worst observed',
        [
          {
            expr: 'histogram_quantile(0.99, sum by (le, action) (gameday_injection_skew_seconds_bucket))',
            legend: 'p99 {{action}}',
          },
          {
            expr: 'histogram_quantile(0.5, sum by (le, action) (gameday_injection_skew_seconds_bucket))',
            legend: 'p50 {{action}}',
          },
        ],
        { unit: 's' },
      ),
    )
    .build();
}

function steadyState(): Dashboard {
  const bucket = `gameday_probe_duration_seconds_bucket{${GDX}}`;
  const q = (p: number): { expr: string; legend: string } => ({
    expr: `histogram_quantile(${p}, sum by (le, phase) (rate(${bucket}[$__rate_interval])))`,
    legend: `p${Math.round(p * 100)} {{phase}}`,
  });
  return baseDashboard(
    'gameday-steady-state',
    'GameDay steady state',
    'Probe latency and errors by run phase; red regions are fault windows.',
  )
    .withVariable(labelVariable('gameday', 'GameDay', 'gameday_probe_requests_total'))
    .withVariable(labelVariable('experiment', 'Experiment', 'gameday_probe_requests_total', `{${GD}}`))
    .withPanel(timeseries('Probe latency percentiles by phase', [q(0.5), q(0.95), q(0.99)], { unit: 's', width: 24 }))
    .withPanel(
      timeseries(
        'Probe error ratio by phase',
        [
          {
            expr: errorRatio(
              `gameday_probe_requests_total{${GDX}, outcome!="ok"}`,
              `gameday_probe_requests_total{${GDX}}`,
              'phase',
            ),
            legend: '{{phase}}',
          },
        ],
        { unit: 'percentunit' },
      ),
    )
    .withPanel(
      timeseries(
        'Probe requests by outcome',
        [
          {
            expr: `sum by (outcome) (rate(gameday_probe_requests_total{${GDX}}[$__rate_interval]))`,
            legend: '{{outcome}}',
          },
        ],
        { unit: 'reqps' },
      ),
    )
    .withPanel(
      timeseries(
        'Steady-state deviation (fault p95 / baseline p95)',
        [
          {
            expr: `max by (gameday, experiment) (gameday_steady_state_deviation_ratio{${GDX}})`,
            legend: '{{gameday}} / {{experiment}}',
          },
        ],
        { unit: 'none' },
      ),
    )
    .withPanel(
      timeseries('Fault active', [{ expr: `max by (target) (gameday_fault_active{${GDX}})`, legend: '{{target}}' }]),
    )
    .build();
}

function demoServices(): Dashboard {
  const h = 'http_server_request_duration_seconds';
  const pct = (p: number): { expr: string; legend: string } => ({
    expr: `histogram_quantile(${p}, sum by (le, service) (rate(${h}_bucket{route="/"}[$__rate_interval])))`,
    legend: `p${Math.round(p * 100)} {{service}}`,
  });
  return baseDashboard(
    'gameday-demo',
    'Demo services',
    'The classic demo: service1 calls service2, which reads the users table.',
  )
    .withPanel(timeseries('Request latency (route /)', [pct(0.5), pct(0.95), pct(0.99)], { unit: 's', width: 24 }))
    .withPanel(
      timeseries(
        'Requests by service and status',
        [
          {
            expr: `sum by (service, status) (rate(${h}_count{route="/"}[$__rate_interval]))`,
            legend: '{{service}} {{status}}',
          },
        ],
        { unit: 'reqps' },
      ),
    )
    .withPanel(
      timeseries(
        'Error ratio (5xx)',
        [
          {
            expr: errorRatio(`${h}_count{route="/", status=~"5.."}`, `${h}_count{route="/"}`, 'service'),
            legend: '{{service}}',
          },
        ],
        { unit: 'percentunit' },
      ),
    )
    .withPanel(
      timeseries(
        'service1 upstream timeouts',
        [
          {
            expr: 'sum by (service, upstream) (rate(demo_upstream_timeouts_total[$__rate_interval]))',
            legend: '{{service}} → {{upstream}}',
          },
        ],
        { unit: 'reqps' },
      ),
    )
    .withPanel(timeseries('Scrape targets up', [{ expr: 'up', legend: '{{job}} {{instance}}' }]))
    .build();
}

/**
 * The SDK's default puts every annotation toggle in the controls drop-down; the fault windows are
 * the point of these dashboards, so their toggle stays in the top bar (Grafana's own default).
 */
function withVisibleAnnotations(d: Dashboard): Dashboard {
  for (const a of d.annotations?.list ?? []) delete a.placement;
  return d;
}

/** Every dashboard, keyed by the file name it is committed under in grafana/dashboards/. */
export function buildDashboards(): Record<string, Dashboard> {
  return {
    'gameday-overview.json': withVisibleAnnotations(overview()),
    'gameday-steady-state.json': withVisibleAnnotations(steadyState()),
    'demo-services.json': withVisibleAnnotations(demoServices()),
  };
}

export function renderDashboard(d: Dashboard): string {
  return JSON.stringify(d, null, 2) + '\n';
}

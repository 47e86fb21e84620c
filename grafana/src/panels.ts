import {
  DataSourceRef,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Fixed uid, provisioned in grafana/provisioning/datasources, so dashboards need no lookup. */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'prometheus' };

export interface Query {
  expr: string;
  legend?: string;
}

function target(q: Query, refId: string): DataqueryBuilder {
  const b = new DataqueryBuilder().datasource(PROMETHEUS).expr(q.expr).refId(refId).range();
  return q.legend ? b.legendFormat(q.legend) : b;
}

const REF_IDS = 'ABCDEFGHIJ';

export function timeseries(
  title: string,
  queries: Query[],
  opts: { unit?: string; width?: number; description?: string } = {},
): TimeseriesPanelBuilder {
  const p = new TimeseriesPanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(opts.unit ?? 'short')
    .span(opts.width ?? 12)
    .height(8)
    .lineWidth(1)
    .fillOpacity(10)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom),
    );
  if (opts.description) p.description(opts.description);
  queries.forEach((q, i) => p.withTarget(target(q, REF_IDS[i])));
  return p;
}

export function stat(
  title: string,
  query: Query,
  opts: { unit?: string; width?: number; description?: string } = {},
): StatPanelBuilder {
  const p = new StatPanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(opts.unit ?? 'short')
    .span(opts.width ?? 6)
    .height(5)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .withTarget(target(query, 'A'));
  if (opts.description) p.description(opts.description);
  return p;
}

/**
 * Fault windows: every interval in which `gameday_fault_active` was 1 becomes a region annotation.
 * Prometheus annotations turn consecutive non-zero samples into one region.
 */
export const FAULT_WINDOW_EXPR = 'max by (gameday, experiment, target) (gameday_fault_active) > 0';

export function faultWindows(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Fault windows')
    .datasource(PROMETHEUS)
    .enable(true)
    .iconColor('red')
    .expr(FAULT_WINDOW_EXPR)
    .step('5s')
    .titleFormat('Fault on {{target}}')
    .textFormat('{{gameday}} / {{experiment}}')
    .tagKeys('gameday,experiment,target');
}

export function labelVariable(name: string, label: string, metric: string, filter = ''): QueryVariableBuilder {
  const query = `label_values(${metric}${filter}, ${name})`;
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query({ qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

export function baseDashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['gameday'])
    .editable()
    .refresh('10s')
    .time({ from: 'now-30m', to: 'now' })
    .timezone('browser')
    .annotation(faultWindows());
}

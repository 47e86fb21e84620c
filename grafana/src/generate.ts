// Regenerates grafana/dashboards/*.json from the TypeScript definitions.
//   node -r @swc-node/register grafana/src/generate.ts           write the files
//   node -r @swc-node/register grafana/src/generate.ts --check   exit 1 when a committed file is stale
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDashboards, renderDashboard } from './dashboards';
import { DASHBOARDS_DIR, PANEL_QUERIES_FILE, panelQueries, renderPanelQueries } from './panel-queries';

const check = process.argv.includes('--check');
const dashboards = buildDashboards();
const outputs: Array<[string, string]> = Object.entries(dashboards).map(([file, d]) => [
  join(DASHBOARDS_DIR, file),
  renderDashboard(d),
]);
// Every panel's PromQL in one file, for tools that check the dashboards against a real Prometheus.
outputs.push([
  PANEL_QUERIES_FILE,
  renderPanelQueries(
    Object.keys(dashboards)
      .sort()
      .flatMap((file) => panelQueries(JSON.parse(renderDashboard(dashboards[file])))),
  ),
]);
let stale = 0;
for (const [path, json] of outputs) {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (current === json) continue;
  if (check) {
    process.stderr.write(`stale: ${path} (regenerate with: node -r @swc-node/register grafana/src/generate.ts)\n`);
    stale += 1;
  } else {
    writeFileSync(path, json);
    process.stdout.write(`wrote ${path}\n`);
  }
}
process.exit(stale ? 1 : 0);

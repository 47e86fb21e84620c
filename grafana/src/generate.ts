// Regenerates grafana/dashboards/*.json from the TypeScript definitions.
//   node -r @swc-node/register grafana/src/generate.ts           write the files
//   node -r @swc-node/register grafana/src/generate.ts --check   exit 1 when a committed file is stale
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDashboards, renderDashboard } from './dashboards';
import { DASHBOARDS_DIR } from './panel-queries';

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, dashboard] of Object.entries(buildDashboards())) {
  const path = join(DASHBOARDS_DIR, file);
  const json = renderDashboard(dashboard);
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

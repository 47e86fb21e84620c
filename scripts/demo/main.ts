// `npm run demo`: the classic GameDay end to end on this machine (see scripts/demo.sh).
import { createInterface } from 'node:readline';
import { runClassicDemo, windowsLine, type DemoResult } from './classic-demo';

const fmt = (v: number | null | undefined, unit = ' ms') =>
  v === null || v === undefined ? '–' : `${Math.round(v)}${unit}`;

function summary(r: DemoResult): string[] {
  const lines = ['', `Verdict: ${r.verdict ?? r.status}${r.run.error ? ` (${r.run.error})` : ''}`];
  for (const e of r.run.result?.experiments ?? []) {
    lines.push(`  ${e.name}: ${e.verdict.reason}`);
    lines.push('  window     samples  errors   p50       p95');
    for (const w of ['baseline', 'fault', 'recovery'] as const) {
      const s = e.stats[w];
      if (s)
        lines.push(
          `  ${w.padEnd(10)} ${String(s.count).padStart(7)}  ${(s.errorRate * 100).toFixed(1).padStart(5)}%  ${fmt(s.p50Ms).padStart(8)}  ${fmt(s.p95Ms).padStart(8)}`,
        );
    }
    lines.push(`  time to recover after rollback: ${fmt(e.timeToRecoverMs)}`);
  }
  lines.push(windowsLine(r.run));
  lines.push('', 'By hand, during each window (what `time curl` shows):');
  for (const c of r.spotChecks)
    lines.push(`  ${c.phase.padEnd(9)} ${c.url.padEnd(45)} → ${c.status ?? 'error'} in ${fmt(c.ms)}`);
  const empty = r.prometheus.panels.filter((p) => p.series === 0);
  lines.push(
    '',
    `Prometheus saw the fault window: ${r.prometheus.faultWindowSeen ? 'yes' : 'NO'}; steady-state deviation ratio ${r.prometheus.deviationRatio ?? '–'}; ${r.prometheus.panels.length - empty.length}/${r.prometheus.panels.length} dashboard queries returned data${empty.length ? ` (empty: ${empty.map((p) => p.panel).join(', ')})` : ''}`,
    `Report: ${r.reportPath}`,
    `Engine: ${r.engine === 'lab' ? 'Docker inside the user-mode-linux lab kernel (this host has no sch_netem)' : "this host's Docker Engine"}`,
  );
  return lines;
}

async function main(): Promise<number> {
  const engine = (process.env.GAMEDAY_DEMO_ENGINE ?? 'auto') as 'auto' | 'host' | 'lab';
  const interactive = process.stdin.isTTY && !process.env.CI;
  const result = await runClassicDemo({
    engine,
    fast: process.env.GAMEDAY_DEMO_FAST === '1',
    fixedPorts: process.env.GAMEDAY_DEMO_RANDOM_PORTS !== '1',
    beforeCleanup: async (r) => {
      for (const line of summary(r)) console.log(line);
      if (!interactive) return;
      console.log(
        '',
        `Still running: API ${r.apiUrl} (report at ${r.reportUrl}), Prometheus ${r.prometheusUrl}/graph?g0.expr=gameday_fault_active`,
      );
      console.log(
        'Grafana is not installable on this machine; on a Docker host `docker compose up` serves the provisioned dashboards at http://127.0.0.1:3000.',
      );
      const rl = createInterface({ input: process.stdin });
      console.log('Press Enter to stop everything.');
      await new Promise<void>((resolve) => rl.once('line', () => resolve()));
      rl.close();
    },
  });
  if (!interactive) {
    console.log('Prometheus and the API were stopped with the demo; the HTML report above is self-contained.');
    console.log(
      'Grafana is not installable on this machine; on a Docker host `docker compose up` serves the provisioned dashboards at http://127.0.0.1:3000.',
    );
  }
  return result.status === 'completed' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`demo failed: ${(error as Error).message}`);
    process.exit(1);
  },
);

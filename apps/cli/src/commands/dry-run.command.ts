import type { Command } from 'commander';
import type { DryRunExperimentView, DryRunReportView } from '../api-types';
import { act } from '../cli-action';
import { contextOf, type Io } from '../cli-context';
import { EXIT } from '../exit-codes';
import { displayArgv, printJson, printWarnings, shortInstant } from '../output';

function printExperiment(io: Io, e: DryRunExperimentView): void {
  const step = e.step
    ? ` step "${e.step.name}" from +${e.step.offsetMs / 1000}s for ${e.step.durationMs / 1000}s of the fault window`
    : '';
  io.out(`experiment ${e.index + 1} "${e.name}"${step} (${e.fault.kind})\n`);
  if (!e.result) {
    io.out(`  error: ${e.error ?? 'no result'}\n`);
    return;
  }
  const r = e.result;
  if (r.targets.length === 0) io.out('  no target\n');
  for (const t of r.targets) {
    io.out(`  target ${t.target.containerName} (${t.target.containerId.slice(0, 12)}) via ${t.strategy}\n`);
    if (t.side) io.out(`    side:   ${t.side}\n`);
    if (t.runner.length) io.out(`    runner: ${displayArgv(t.runner)}\n`);
    for (const p of t.peers ?? []) io.out(`    peer:   ${p.peer} → ${p.addresses.join(', ') || 'no address'}\n`);
    for (const p of t.processes ?? []) io.out(`    process: ${p.pid} ${p.comm}${p.note ? ` (${p.note})` : ''}\n`);
    for (const [label, argvs] of [
      ['apply', t.apply],
      ['verify', t.verify],
      ['revert', t.revert],
    ] as const) {
      for (const argv of argvs) io.out(`    ${`${label}:`.padEnd(8)}${displayArgv(argv)}\n`);
    }
    for (const w of t.warnings) io.out(`    warning: ${w}\n`);
  }
  for (const c of r.refused) io.out(`  refused ${c.name}: ${c.message || c.reason}\n`);
}

export function registerDryRun(program: Command): void {
  program
    .command('dry-run <gamedayId>')
    .description('what the GameDay would do now (resolved targets, exact tc/docker commands); nothing is applied')
    .action(
      act(async (gameDayId: string, _opts: unknown, cmd: Command) => {
        const ctx = contextOf(cmd);
        // a worker answers (the API never touches Docker): allow for its own timeout
        const report = await ctx.client.json<DryRunReportView>(
          'POST',
          `/api/v1/gamedays/${encodeURIComponent(gameDayId)}/dry-run`,
        );
        const unresolved = report.experiments.filter((e) => !e.result).length;
        if (ctx.output === 'json') printJson(ctx.io, report);
        else {
          ctx.io.out(
            `dry run of GameDay ${report.gameDayId} (version ${report.gameDayVersion}), targets resolved at ${shortInstant(report.resolvedAt)}; nothing was applied\n`,
          );
          if (report.arming)
            ctx.io.out(
              `arming: ${report.arming.leadMs / 1000}s ahead of each baseline without durations.arming (${report.arming.source === 'cold' ? `cold: ${report.arming.samples} arming(s) on record` : `learned from ${report.arming.samples} armings, p90 ${report.arming.p90Ms} ms per fault`}${report.arming.faults > 1 ? `, for ${report.arming.faults} faults` : ''})\n`,
            );
          for (const e of report.experiments) printExperiment(ctx.io, e);
          printWarnings(ctx.io, report.warnings);
          if (unresolved > 0) ctx.io.err(`${unresolved} experiment(s) could not be resolved\n`);
        }
        return unresolved > 0 ? EXIT.inconclusive : EXIT.ok;
      }),
    );
}

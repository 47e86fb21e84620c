import type { Command } from 'commander';
import type { RunView } from '../api-types';
import { act } from '../cli-action';
import { contextOf } from '../cli-context';
import { printJson, shortInstant } from '../output';
import { intervalMs } from './option-parsers';
import { watchRun } from './watch.command';

export function registerRun(program: Command): void {
  program
    .command('run <gamedayId>')
    .description('run a GameDay now (a manual run); --watch follows it and exits with its verdict')
    .option('-w, --watch', 'follow the run until it ends (exit code as for watch)')
    .option('--interval <ms>', 'polling interval for --watch, in milliseconds', intervalMs, 1000)
    .action(
      act(async (gameDayId: string, opts: { watch?: boolean; interval: number }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const run = await ctx.client.json<RunView>('POST', `/api/v1/gamedays/${encodeURIComponent(gameDayId)}/runs`, {
          body: {},
        });
        if (ctx.output === 'json' && !opts.watch) return printJson(ctx.io, run);
        if (ctx.output === 'json') ctx.io.out(`${JSON.stringify({ kind: 'run', ...run })}\n`);
        else ctx.io.out(`started run ${run.id} (${run.status}, scheduled for ${shortInstant(run.scheduledFor)})\n`);
        if (opts.watch) return watchRun(ctx, run.id, { intervalMs: opts.interval });
      }),
    );
}

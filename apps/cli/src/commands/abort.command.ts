import type { Command } from 'commander';
import { act } from '../cli-action';
import { CliError } from '../cli-error';
import { contextOf } from '../cli-context';
import { printJson } from '../output';

interface AbortOptions {
  all?: boolean;
  reason?: string;
}

export function registerAbort(program: Command): void {
  program
    .command('abort [runId]')
    .description('emergency stop: revert the faults of a run now (or of every active run with --all)')
    .option('--all', 'abort every active run and revert every open fault')
    .option('--reason <text>', 'recorded on the run(s) and in the timeline')
    .action(
      act(async (runId: string | undefined, opts: AbortOptions, cmd: Command) => {
        if (Boolean(runId) === Boolean(opts.all)) throw new CliError('abort: give a RUN_ID or --all (not both)');
        const ctx = contextOf(cmd);
        const body = opts.reason === undefined ? {} : { reason: opts.reason };
        if (opts.all) {
          const res = await ctx.client.json<{ runIds: string[]; requestedAt: string }>('POST', '/api/v1/abort-all', {
            body,
          });
          if (ctx.output === 'json') return printJson(ctx.io, res);
          ctx.io.out(
            `abort requested for ${res.runIds.length} active run(s)${res.runIds.length ? `: ${res.runIds.join(', ')}` : ''}; every open fault is being reverted\n`,
          );
          return;
        }
        const res = await ctx.client.json<{ runId: string; status: string; requestedAt: string }>(
          'POST',
          `/api/v1/runs/${encodeURIComponent(runId!)}/abort`,
          { body },
        );
        if (ctx.output === 'json') return printJson(ctx.io, res);
        ctx.io.out(`abort requested for run ${res.runId} (${res.status}); its faults are being reverted\n`);
      }),
    );
}

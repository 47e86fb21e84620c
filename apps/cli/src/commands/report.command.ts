import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { act } from '../cli-action';
import { CliError } from '../cli-error';
import { contextOf } from '../cli-context';
import { printJson } from '../output';
import { ACCEPT, reportFormatFor } from '../report-format';

export function registerReport(program: Command): void {
  program
    .command('report <runId>')
    .description("a run's report: HTML (latency chart with the fault window) or Markdown")
    .option('-o, --out <file>', 'write to this file (.html or .md picks the format); default: stdout')
    .option('--format <format>', 'html | markdown (default: from the file extension, else markdown)')
    .action(
      act(async (runId: string, opts: { out?: string; format?: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const format = reportFormatFor(opts.out, opts.format);
        const report = await ctx.client.text('GET', `/api/v1/runs/${encodeURIComponent(runId)}/report`, {
          accept: ACCEPT[format],
        });
        if (!opts.out || opts.out === '-') {
          ctx.io.out(report.body);
          return;
        }
        try {
          await writeFile(opts.out, report.body, 'utf8');
        } catch (error) {
          throw new CliError(
            `cannot write ${opts.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
        }
        const bytes = Buffer.byteLength(report.body);
        if (ctx.output === 'json') return printJson(ctx.io, { runId, file: opts.out, format, bytes });
        ctx.io.out(`wrote the ${format} report of run ${runId} to ${opts.out} (${bytes} bytes)\n`);
      }),
    );
}

import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import type { RunDetailView } from '../api-types';
import { act } from '../cli-action';
import { CliError } from '../cli-error';
import { contextOf, type CliContext } from '../cli-context';
import { EXIT, exitCodeForVerdict } from '../exit-codes';
import { printJson } from '../output';
import { ACCEPT, GATING_FORMATS, reportFormatFor, type ReportFormat } from '../report-format';

/** The run's verdict, for the exit code of the formats pipelines gate on. */
async function verdictOf(ctx: CliContext, runId: string, format: ReportFormat, body: string): Promise<string | null> {
  if (format === 'json') {
    try {
      return (JSON.parse(body) as { verdict?: string | null }).verdict ?? null;
    } catch {
      throw new CliError('the API answered with a JSON report that is not JSON', EXIT.api);
    }
  }
  return (await ctx.client.json<RunDetailView>('GET', `/api/v1/runs/${encodeURIComponent(runId)}`)).verdict;
}

export function registerReport(program: Command): void {
  program
    .command('report <runId>')
    .description(
      "a run's report: HTML (latency chart with the fault window), Markdown, JUnit XML (a testcase per hypothesis check, guardrail and verdict) or JSON; with junit or json the exit code follows the verdict, as watch's does (after the report is written)",
    )
    .option('-o, --out <file>', 'write to this file (.html, .md, .xml or .json picks the format); default: stdout')
    .option('--format <format>', 'html | markdown | junit | json (default: from the file extension, else markdown)')
    .action(
      act(async (runId: string, opts: { out?: string; format?: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const format = reportFormatFor(opts.out, opts.format);
        const report = await ctx.client.text('GET', `/api/v1/runs/${encodeURIComponent(runId)}/report`, {
          accept: ACCEPT[format],
        });
        const gating = GATING_FORMATS.has(format);
        const verdict = gating ? await verdictOf(ctx, runId, format, report.body) : undefined;
        const exitCode = gating ? exitCodeForVerdict(verdict) : EXIT.ok;
        if (!opts.out || opts.out === '-') {
          ctx.io.out(report.body);
          return exitCode;
        }
        try {
          await writeFile(opts.out, report.body, 'utf8');
        } catch (error) {
          throw new CliError(
            `cannot write ${opts.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
        }
        const bytes = Buffer.byteLength(report.body);
        if (ctx.output === 'json') {
          printJson(ctx.io, { runId, file: opts.out, format, bytes, ...(gating ? { verdict, exitCode } : {}) });
          return exitCode;
        }
        const gate = gating ? `; verdict ${verdict ?? 'none'}, exit ${exitCode}` : '';
        ctx.io.out(`wrote the ${format} report of run ${runId} to ${opts.out} (${bytes} bytes${gate})\n`);
        return exitCode;
      }),
    );
}

import type { Command } from 'commander';
import type { Page, RunView } from '../api-types';
import { act } from '../cli-action';
import { contextOf } from '../cli-context';
import { formatTable, morePages, printJson, shortInstant } from '../output';
import { positiveInt } from './option-parsers';

export function registerRuns(program: Command): void {
  program
    .command('runs <gamedayId>')
    .description("a GameDay's run history, newest first")
    .option('--limit <n>', 'page size (1-100)', positiveInt)
    .option('--cursor <cursor>', 'next page (printed under the listing)')
    .action(
      act(async (gameDayId: string, opts: { limit?: number; cursor?: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const page = await ctx.client.json<Page<RunView>>(
          'GET',
          `/api/v1/gamedays/${encodeURIComponent(gameDayId)}/runs`,
          {
            query: { limit: opts.limit, cursor: opts.cursor },
          },
        );
        if (ctx.output === 'json') return printJson(ctx.io, page);
        ctx.io.out(
          formatTable(
            ['ID', 'STATUS', 'VERDICT', 'TRIGGER', 'SCHEDULED FOR', 'FINISHED'],
            page.items.map((r) => [
              r.id,
              r.status,
              r.verdict ?? '-',
              r.trigger,
              shortInstant(r.scheduledFor),
              shortInstant(r.finishedAt),
            ]),
          ),
        );
        morePages(ctx.io, page.nextCursor, `gameday runs ${gameDayId}`);
      }),
    );
}

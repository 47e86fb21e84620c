import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { GameDayView, Page } from '../api-types';
import { act } from '../cli-action';
import { contextOf, type Io } from '../cli-context';
import { formatTable, morePages, printJson, shortInstant } from '../output';
import { positiveInt } from './option-parsers';

interface GetOptions {
  status?: string;
  environment?: string;
  mode?: string;
  query?: string;
  limit?: number;
  cursor?: string;
}

function printGameDay(io: Io, g: GameDayView): void {
  const rows: [string, unknown][] = [
    ['id', g.id],
    ['name', g.name],
    ['status', g.status],
    ['mode', g.mode],
    ['environment', g.environment ?? '-'],
    ['champion', g.champion ?? '-'],
    ['version', g.version],
    ['next run', shortInstant(g.nextRunAt)],
    ['updated', shortInstant(g.updatedAt)],
  ];
  for (const [key, value] of rows) io.out(`${`${key}:`.padEnd(13)}${String(value)}\n`);
  // the spec as YAML: what `apply -f` takes back, readable without a JSON viewer
  io.out(`spec:\n${stringify(g.spec, { indent: 2 }).replace(/^(?=.)/gm, '  ')}`);
}

export function registerGet(program: Command): void {
  program
    .command('get [id]')
    .description('list GameDays, or show one (with its spec as YAML)')
    .option('--status <status>', 'list filter: active | cancelled | finished')
    .option('--environment <name>', 'list filter: environment')
    .option('--mode <mode>', 'list filter: announced | blind')
    .option('-q, --query <text>', 'list filter: name contains')
    .option('--limit <n>', 'page size (1-100)', positiveInt)
    .option('--cursor <cursor>', 'next page (printed under a listing)')
    .action(
      act(async (id: string | undefined, opts: GetOptions, cmd: Command) => {
        const ctx = contextOf(cmd);
        if (id) {
          const g = await ctx.client.json<GameDayView>('GET', `/api/v1/gamedays/${encodeURIComponent(id)}`);
          return ctx.output === 'json' ? printJson(ctx.io, g) : printGameDay(ctx.io, g);
        }
        const page = await ctx.client.json<Page<GameDayView>>('GET', '/api/v1/gamedays', {
          query: {
            status: opts.status,
            environment: opts.environment,
            mode: opts.mode,
            q: opts.query,
            limit: opts.limit,
            cursor: opts.cursor,
          },
        });
        if (ctx.output === 'json') return printJson(ctx.io, page);
        ctx.io.out(
          formatTable(
            ['ID', 'NAME', 'STATUS', 'MODE', 'VERSION', 'NEXT RUN'],
            page.items.map((g) => [g.id, g.name, g.status, g.mode, String(g.version), shortInstant(g.nextRunAt)]),
          ),
        );
        morePages(ctx.io, page.nextCursor, 'gameday get');
      }),
    );
}

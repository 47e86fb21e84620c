import type { Command } from 'commander';
import type { ApiClient } from '../api-client';
import type { GameDayView, Page } from '../api-types';
import { act } from '../cli-action';
import { CliError } from '../cli-error';
import { contextOf } from '../cli-context';
import { printJson, printWarnings, shortInstant } from '../output';
import { readSpecFile } from '../spec-file';

export interface ApplyResult {
  action: 'created' | 'updated';
  gameDay: GameDayView;
}

/** Every GameDay whose name is exactly `name` (the API's `q` filter matches substrings). */
export async function findGameDaysByName(client: ApiClient, name: string): Promise<GameDayView[]> {
  const found: GameDayView[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.json<Page<GameDayView>>('GET', '/api/v1/gamedays', {
      query: { q: name, limit: 100, cursor },
    });
    found.push(...page.items.filter((g) => g.name === name));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return found;
}

/**
 * Create or update by name. A cancelled GameDay cannot be edited, so only live ones (active or
 * finished) count as "the same GameDay"; two live ones with one name need --id to choose.
 */
export async function applySpec(client: ApiClient, spec: Record<string, unknown>, id?: string): Promise<ApplyResult> {
  let targetId = id;
  if (!targetId) {
    const name = String(spec.name);
    const live = (await findGameDaysByName(client, name)).filter((g) => g.status !== 'cancelled');
    if (live.length > 1) {
      throw new CliError(
        `${live.length} GameDays are named "${name}" (${live.map((g) => g.id).join(', ')}): choose one with --id`,
      );
    }
    targetId = live[0]?.id;
  }
  if (!targetId) {
    return { action: 'created', gameDay: await client.json<GameDayView>('POST', '/api/v1/gamedays', { body: spec }) };
  }
  // PATCH replaces the top-level fields it is given; fields absent from the file are kept
  const gameDay = await client.json<GameDayView>('PATCH', `/api/v1/gamedays/${encodeURIComponent(targetId)}`, {
    body: spec,
  });
  return { action: 'updated', gameDay };
}

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('create a GameDay from a YAML or JSON file, or update the one with the same name')
    .requiredOption('-f, --file <path>', 'GameDay spec: .yaml, .yml or .json; "-" reads YAML/JSON from stdin')
    .option('--id <id>', 'update this GameDay instead of matching by name')
    .action(
      act(async (opts: { file: string; id?: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const spec = await readSpecFile(opts.file);
        const result = await applySpec(ctx.client, spec, opts.id);
        if (ctx.output === 'json') return printJson(ctx.io, result);
        const g = result.gameDay;
        ctx.io.out(
          `${result.action} GameDay ${g.id} "${g.name}" (version ${g.version}, ${g.status}, next run ${shortInstant(g.nextRunAt)})\n`,
        );
        printWarnings(ctx.io, g.warnings);
      }),
    );
}

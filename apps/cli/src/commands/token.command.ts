import { Option, type Command } from 'commander';
import { act } from '../cli-action';
import { contextOf } from '../cli-context';
import { formatTable, printJson, shortInstant } from '../output';

interface TokenView {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface CreatedToken extends TokenView {
  token: string;
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens (admin)');
  token
    .command('create')
    .description('create a token; its secret is printed once, on stdout, and never shown again')
    .requiredOption('--name <name>', 'who or what uses the token')
    .addOption(
      new Option('--role <role>', 'what it may do').choices(['viewer', 'operator', 'admin']).makeOptionMandatory(),
    )
    .action(
      act(async (opts: { name: string; role: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        const created = await ctx.client.json<CreatedToken>('POST', '/api/v1/tokens', {
          body: { name: opts.name, role: opts.role },
        });
        if (ctx.output === 'json') return printJson(ctx.io, created);
        // the secret alone on stdout, so `export GAMEDAY_TOKEN=$(gameday token create …)` works
        ctx.io.err(
          `created ${created.role} token ${created.id} "${created.name}"; store the secret now, it is not shown again:\n`,
        );
        ctx.io.out(`${created.token}\n`);
      }),
    );
  token
    .command('list')
    .description('the tokens (never their secrets): id, name, role, secret prefix, last use')
    .action(
      act(async (_opts: unknown, cmd: Command) => {
        const ctx = contextOf(cmd);
        const page = await ctx.client.json<{ items: TokenView[] }>('GET', '/api/v1/tokens');
        if (ctx.output === 'json') return printJson(ctx.io, page);
        ctx.io.out(
          formatTable(
            ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
            page.items.map((t) => [
              t.id,
              t.name,
              t.role,
              t.prefix,
              shortInstant(t.createdAt),
              shortInstant(t.lastUsedAt),
              shortInstant(t.revokedAt),
            ]),
          ),
        );
      }),
    );
  token
    .command('revoke <tokenId>')
    .description('revoke a token: it stops working at once')
    .action(
      act(async (tokenId: string, _opts: unknown, cmd: Command) => {
        const ctx = contextOf(cmd);
        await ctx.client.json('DELETE', `/api/v1/tokens/${encodeURIComponent(tokenId)}`);
        if (ctx.output === 'json') return printJson(ctx.io, { id: tokenId, revoked: true });
        ctx.io.out(`revoked token ${tokenId}\n`);
      }),
    );
}

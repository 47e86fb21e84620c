import { Option, type Command } from 'commander';
import { act } from '../cli-action';
import { contextOf } from '../cli-context';
import { printJson } from '../output';

interface CreatedToken {
  id: string;
  name: string;
  role: string;
  prefix: string;
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
}

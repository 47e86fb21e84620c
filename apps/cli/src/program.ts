import { Command, Option } from 'commander';
import { DEFAULT_URL } from './cli-context';
import { HELP_EXIT_CODES } from './exit-codes';
import { registerAbort } from './commands/abort.command';
import { registerApply } from './commands/apply.command';
import { registerDryRun } from './commands/dry-run.command';
import { registerGet } from './commands/get.command';
import { registerNew } from './commands/new.command';
import { registerReport } from './commands/report.command';
import { registerRun } from './commands/run.command';
import { registerRuns } from './commands/runs.command';
import { registerToken } from './commands/token.command';
import { registerWatch } from './commands/watch.command';

/** The `gameday` command tree; global options are accepted before or after the command. */
export function buildProgram(version: string): Command {
  const program = new Command('gameday')
    .description('GameDay command-line client: speaks the GameDay REST API (GAMEDAY_URL, GAMEDAY_TOKEN)')
    .version(version)
    .option('--url <url>', `API base URL (env GAMEDAY_URL; default ${DEFAULT_URL})`)
    .option('--token <token>', 'API token (env GAMEDAY_TOKEN, preferred: flags show in ps)')
    .addOption(
      new Option('--output <format>', 'human | json (for scripts)').choices(['human', 'json']).default('human'),
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', HELP_EXIT_CODES);
  registerNew(program);
  registerApply(program);
  registerGet(program);
  registerRuns(program);
  registerRun(program);
  registerDryRun(program);
  registerWatch(program);
  registerReport(program);
  registerAbort(program);
  registerToken(program);
  return program;
}

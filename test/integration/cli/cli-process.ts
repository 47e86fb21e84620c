import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * Runs the `gameday` CLI as a real child process, from its TypeScript source through
 * @swc-node/register (as `npm run cli` does), so the tests need no build. Asynchronous on purpose:
 * the API under test runs in this jest process and must keep answering while the CLI waits.
 */
const ROOT = join(__dirname, '../../..');
const MAIN = join(ROOT, 'apps/cli/src/main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** everything written to stdout so far */
  stdout: () => string;
}

export function startCli(
  args: string[],
  env: Record<string, string | undefined>,
  input?: string,
  opts: { terminal?: boolean } = {},
): CliProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, GAMEDAY_URL: undefined, GAMEDAY_TOKEN: undefined, ...env };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  const argv = [process.execPath, '-r', '@swc-node/register', MAIN, ...args];
  // in a terminal: util-linux `script` gives the CLI a pseudo-terminal. Its -c takes a shell
  // command, so that string is fixed and the arguments travel in the environment, never in it.
  argv.forEach((arg, i) => (childEnv[`GAMEDAY_TEST_ARG${i}`] = arg));
  const quoted = argv.map((_, i) => `"$GAMEDAY_TEST_ARG${i}"`).join(' ');
  const [command, ...commandArgs] = opts.terminal
    ? ['script', '--quiet', '--return', '--command', `exec ${quoted}`, '/dev/null']
    : argv;
  const child = spawn(command, commandArgs, {
    cwd: ROOT,
    env: childEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(input ?? '');
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  input?: string,
  timeoutMs = 30_000,
): Promise<CliResult> {
  const cli = startCli(args, env, input);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs);
  return cli.done.finally(() => clearTimeout(timer));
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

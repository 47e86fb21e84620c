import { CliError } from './cli-error';
import { processIo, type Io } from './cli-context';
import { EXIT } from './exit-codes';

/** Prints an error as one readable message (no stack unless GAMEDAY_DEBUG=1) and picks the exit code. */
export function reportError(error: unknown, io: Io = processIo): number {
  if (error instanceof CliError) {
    io.err(`error: ${error.message}\n`);
    return error.exitCode;
  }
  const e = error as Error;
  io.err(`error: ${process.env.GAMEDAY_DEBUG === '1' && e?.stack ? e.stack : (e?.message ?? String(error))}\n`);
  return EXIT.api;
}

/**
 * Wraps a command's action: its return value (or the error it throws) becomes the exit code.
 * process.exitCode rather than process.exit() so piped output is flushed first.
 */
export function act<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = (await fn(...args)) ?? EXIT.ok;
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}

import { systemClock, type Clock } from '@gameday/core/clock';
import type { Command } from 'commander';
import { ApiClient } from './api-client';
import { CliError } from './cli-error';

export type OutputFormat = 'human' | 'json';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Where a command writes; tests and the watch progress bar share these streams. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** whether stdout is a terminal (the watch progress bar is drawn only there) */
  isTty: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
};

export interface CliContext {
  client: ApiClient;
  output: OutputFormat;
  io: Io;
  clock: Clock;
}

interface GlobalOptions {
  url?: string;
  token?: string;
  output?: OutputFormat;
}

/**
 * The API URL and token: flags first, then GAMEDAY_URL / GAMEDAY_TOKEN (the environment is the
 * better place for a token: flags show up in `ps` and shell history).
 */
export function contextOf(command: Command, env: NodeJS.ProcessEnv = process.env, io: Io = processIo): CliContext {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const url = opts.url ?? env.GAMEDAY_URL ?? DEFAULT_URL;
  const token = opts.token ?? env.GAMEDAY_TOKEN;
  if (!token) throw new CliError('no API token: set GAMEDAY_TOKEN or pass --token');
  return { client: new ApiClient({ url, token }), output: opts.output ?? 'human', io, clock: systemClock };
}

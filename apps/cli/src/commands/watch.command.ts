import { MultiBar, type SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { RunDetailView, RunEventView } from '../api-types';
import { TERMINAL_STATUSES } from '../api-types';
import { act } from '../cli-action';
import { NetworkError } from '../cli-error';
import { contextOf, type CliContext, type Io } from '../cli-context';
import { exitCodeForVerdict } from '../exit-codes';
import { formatEvent, formatRunSummary } from '../run-format';
import { describeProgress, planOf, progressAt, shortDuration } from '../watch-progress';
import { intervalMs } from './option-parsers';

export interface WatchOptions {
  intervalMs: number;
  /** how long the API may stay unreachable before watch gives up */
  outageMs?: number;
}

const DEFAULT_OUTAGE_MS = 60_000;
const TICK_MS = 250;
/** the shell's convention for a command ended by Ctrl-C (128 + SIGINT) */
const EXIT_INTERRUPTED = 130;

interface Display {
  event(e: RunEventView): void;
  progress(run: RunDetailView, now: number): void;
  note(text: string): void;
  finish(run: RunDetailView, exitCode: number): void;
  /** Ctrl-C: put the terminal back (cursor, line wrap) before the process ends */
  interrupt(): void;
}

/** One JSON object per line: each new event, then the outcome (for scripts). */
function jsonDisplay(io: Io): Display {
  return {
    event: (e) => io.out(`${JSON.stringify({ kind: 'event', ...e })}\n`),
    progress: () => undefined,
    interrupt: () => undefined,
    note: (text) => io.err(`${text}\n`),
    finish: (run, exitCode) =>
      io.out(
        `${JSON.stringify({ kind: 'result', runId: run.id, status: run.status, verdict: run.verdict, error: run.error, abortReason: run.abortReason, exitCode })}\n`,
      ),
  };
}

/** Timeline lines; on a terminal, a progress bar against the planned window under them. */
function humanDisplay(io: Io): Display {
  let bars: MultiBar | undefined;
  let bar: SingleBar | undefined;
  const line = (text: string) => (bars ? bars.log(`${text}\n`) : io.out(`${text}\n`));
  // MultiBar.stop() drops log lines not yet drawn (the last events of a run): draw them first
  const close = () => {
    if (!bars) return;
    bars.update();
    bars.stop();
    bars = undefined;
  };
  return {
    event: (e) => line(formatEvent(e)),
    note: (text) => line(text),
    progress: (run, now) => {
      if (!io.isTty) return;
      const plan = planOf(run);
      if (!plan) return;
      const p = progressAt(plan, now);
      if (!bars) {
        bars = new MultiBar({
          // {total} and {eta} are the library's own tokens: the payload uses other names
          format: '{bar} {percentage}% {elapsedText}/{plannedText} | {label}',
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
          autopadding: true,
          stream: process.stdout,
        });
        bar = bars.create(p.totalMs, p.elapsedMs, {});
      }
      bar!.update(p.elapsedMs, {
        label: describeProgress(p, run.status),
        elapsedText: shortDuration(p.elapsedMs),
        plannedText: shortDuration(p.totalMs),
      });
    },
    interrupt: () => close(),
    finish: (run) => {
      close();
      io.out(formatRunSummary(run));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows a run until it ends: prints each timeline event once, as it appears, and returns the
 * exit code of its verdict. Polls GET /api/v1/runs/:id (the API's public read model); a brief API
 * outage is waited out, so a restart of the API does not fail a pipeline's gate.
 */
export async function watchRun(ctx: CliContext, runId: string, options: WatchOptions): Promise<number> {
  const display = ctx.output === 'json' ? jsonDisplay(ctx.io) : humanDisplay(ctx.io);
  // stopping the watch does not stop the run: say so, and how to stop it
  const onInterrupt = () => {
    display.interrupt();
    ctx.io.err(`stopped watching; run ${runId} goes on (gameday abort ${runId} stops it)\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await follow(ctx, runId, options, display);
  } finally {
    process.off('SIGINT', onInterrupt);
    display.interrupt();
  }
}

async function follow(ctx: CliContext, runId: string, options: WatchOptions, display: Display): Promise<number> {
  const seen = new Set<string>();
  const outageMs = options.outageMs ?? DEFAULT_OUTAGE_MS;
  let unreachableSince: number | null = null;
  for (;;) {
    let run: RunDetailView;
    try {
      run = await ctx.client.json<RunDetailView>('GET', `/api/v1/runs/${encodeURIComponent(runId)}`);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      unreachableSince ??= ctx.clock.monotonicMs();
      if (ctx.clock.monotonicMs() - unreachableSince > outageMs) throw error;
      display.note(`(API unreachable, retrying: ${error.message})`);
      await sleep(options.intervalMs);
      continue;
    }
    unreachableSince = null;
    for (const e of run.events) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      display.event(e);
    }
    if (TERMINAL_STATUSES.has(run.status)) {
      const code = exitCodeForVerdict(run.verdict);
      display.finish(run, code);
      return code;
    }
    // redraw the countdown between polls
    const nextPoll = ctx.clock.now().getTime() + options.intervalMs;
    for (let now = ctx.clock.now().getTime(); now < nextPoll; now = ctx.clock.now().getTime()) {
      display.progress(run, now);
      await sleep(Math.min(TICK_MS, nextPoll - now));
    }
  }
}

export function registerWatch(program: Command): void {
  program
    .command('watch <runId>')
    .description(
      "follow a run live: phases with a progress bar against the plan and the timeline; exits with the verdict's code (0 held, 1 violated, 2 aborted/failed/inconclusive)",
    )
    .option('--interval <ms>', 'polling interval in milliseconds', intervalMs, 1000)
    .action(
      act(async (runId: string, opts: { interval: number }, cmd: Command) =>
        watchRun(contextOf(cmd), runId, { intervalMs: opts.interval }),
      ),
    );
}

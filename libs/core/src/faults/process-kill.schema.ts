import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../units/duration';
import { targetSchema } from './target.schema';

/**
 * The process-kill fault: signal the processes of one name inside the target, once at T0 or every
 * N seconds until T1. The name is compared exactly with /proc/PID/comm (what `ps -o comm` shows),
 * which the kernel keeps to 15 characters: a longer name could never match. It reaches the helper
 * as one argv word, so it accepts only characters no shell, option parser or path could read as
 * anything else. PID 1 of the target is never signalled (see processKillPlan).
 */

/** TASK_COMM_LEN (16) with its NUL: /proc/PID/comm never holds more. */
export const PROCESS_NAME_MAX = 15;

export const PROCESS_KILL_SIGNALS = ['KILL', 'TERM', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2'] as const;
export type ProcessKillSignal = (typeof PROCESS_KILL_SIGNALS)[number];

/** The shortest repetition: one scan of /proc and its signals every second at most. */
export const PROCESS_KILL_MIN_EVERY = '1s';

export const processNameSchema = z
  .string()
  .min(1, 'process must not be empty')
  .max(
    PROCESS_NAME_MAX,
    `process is compared with /proc/PID/comm, which holds at most ${PROCESS_NAME_MAX} characters (the kernel cuts longer names): give its first ${PROCESS_NAME_MAX}`,
  )
  .regex(
    /^[A-Za-z0-9_.+:@][A-Za-z0-9_.+:@-]*$/,
    'process is a process name as /proc/PID/comm shows it (e.g. "nginx", "python3"): letters, digits and "_.+:@-", not starting with "-"; no paths, spaces, quotes or control characters',
  );

export const processKillFaultSchema = z.strictObject({
  kind: z.literal('process-kill'),
  target: targetSchema,
  /** compared exactly with /proc/PID/comm of each process in the target's PID namespace */
  process: processNameSchema,
  signal: z
    .enum(PROCESS_KILL_SIGNALS, { error: `signal must be one of ${PROCESS_KILL_SIGNALS.join(', ')}` })
    .default('KILL'),
  /** signal again every this long until the end of the fault window; absent: once, at T0 */
  every: durationSchema({ min: PROCESS_KILL_MIN_EVERY, max: '1h' }).optional(),
});

export type ProcessKillFaultSpec = z.infer<typeof processKillFaultSchema>;

/** What the helper is handed: the name, the signal's name and the repetition in ms (0: once). */
export interface ProcessKillPlan {
  process: string;
  signal: ProcessKillSignal;
  everyMs: number;
}

export function processKillPlan(spec: ProcessKillFaultSpec): ProcessKillPlan {
  return {
    process: spec.process,
    signal: spec.signal,
    everyMs: spec.every === undefined ? 0 : Math.round(parseDurationMs(spec.every)!),
  };
}

/** Problems of the spec against the experiment's fault window (`every` must fit in it). */
export function processKillWindowIssues(
  spec: ProcessKillFaultSpec,
  windowMs: number,
): { path: (string | number)[]; message: string }[] {
  const everyMs = processKillPlan(spec).everyMs;
  if (everyMs > 0 && everyMs >= windowMs)
    return [
      {
        path: ['every'],
        message: `every (${spec.every}) must be shorter than the fault window (durations.fault): it would never signal a second time; leave it out to signal once at T0`,
      },
    ];
  return [];
}

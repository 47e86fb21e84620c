import { randomBytes } from 'node:crypto';
import type { HelperTimeline } from '@gameday/core';

/**
 * The words exchanged with `gameday-helper` (libs/faults/helper): argv steps going in, key=value
 * lines coming out. One place, so the helper script and the driver agree.
 */
/** Encodes steps for `gameday-helper apply|schedule`: COUNT, then N words… M undo-words… per step. */
export function encodeHelperSteps(apply: string[][], undo: (string[] | null)[]): string[] {
  const out = [String(apply.length)];
  apply.forEach((argv, i) => {
    const u = undo[i] ?? [];
    for (const w of [...argv, ...u]) {
      // One word per line in the helper's state files: a newline would split a word.
      if (w.includes('\n') || w.includes('\0'))
        throw new Error(`argv word ${JSON.stringify(w)} contains a newline or NUL`);
    }
    out.push(String(argv.length), ...argv, String(u.length), ...u);
  });
  return out;
}

/** Encodes argvs for `gameday-helper probe`: COUNT, then N words… per step. */
export function encodeProbeSteps(steps: string[][]): string[] {
  const out = [String(steps.length)];
  for (const argv of steps) {
    for (const w of argv)
      if (w.includes('\n') || w.includes('\0'))
        throw new Error(`argv word ${JSON.stringify(w)} contains a newline or NUL`);
    out.push(String(argv.length), ...argv);
  }
  return out;
}

/** `gameday-helper probe` output → one exit code and first stderr line per step, in order. */
export function parseProbeResults(stdout: string, count: number): { exitCode: number; stderr: string }[] {
  const kv = parseKeyValues(stdout);
  return Array.from({ length: count }, (_, i) => {
    const code = kv[`step${i + 1}`];
    if (code === undefined || !/^\d+$/.test(code))
      throw new Error(`the helper reported no exit code for probe step ${i + 1}`);
    return { exitCode: Number(code), stderr: kv[`step${i + 1}_err`] ?? '' };
  });
}

export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export function msDate(v: string | undefined): Date | undefined {
  if (!v || !/^\d+$/.test(v) || v === '0') return undefined;
  return new Date(Number(v));
}

const HELPER_STATES = ['idle', 'armed', 'applying', 'applied', 'reverted', 'apply_failed', 'skipped_expired'] as const;

/** `gameday-helper status` output → the helper's own record of what it did and when. */
export function parseHelperStatus(stdout: string): HelperTimeline {
  const kv = parseKeyValues(stdout);
  const state = (HELPER_STATES as readonly string[]).includes(kv.state)
    ? (kv.state as HelperTimeline['state'])
    : kv.state === 'cancelled'
      ? 'reverted'
      : 'unknown';
  return {
    state,
    plannedApplyAt: msDate(kv.apply_at),
    plannedRevertAt: msDate(kv.revert_at),
    selfExpiryAt: msDate(kv.expire_at),
    appliedAt: msDate(kv.applied_at),
    revertedAt: msDate(kv.reverted_at),
    revertReason: kv.revert_reason || undefined,
    error: kv.error || undefined,
    ...(/^\d+$/.test(kv.reset_status ?? '')
      ? { reset: { at: msDate(kv.reset_at), status: Number(kv.reset_status), count: Number(kv.reset_count ?? 0) } }
      : {}),
  };
}

const ABORT_NONCE = /^[0-9a-f]{16}$/;

/** A plan's abort nonce: 16 hex digits, drawn at arming (PreparedFault.abortNonce). */
export function newAbortNonce(): string {
  return randomBytes(8).toString('hex');
}

export function isAbortNonce(value: unknown): value is string {
  return typeof value === 'string' && ABORT_NONCE.test(value);
}

/**
 * The environment of the exec that hands a plan over (apply, schedule, watch): the helper records
 * the nonce with the plan. None (an old lease, a test's own helper): no stdin line aborts it.
 */
export function abortNonceEnv(nonce: string | undefined): string[] | undefined {
  if (nonce === undefined) return undefined;
  if (!isAbortNonce(nonce)) throw new Error('an abort nonce is 16 hex digits');
  return [`GAMEDAY_ABORT_NONCE=${nonce}`];
}

/** The longest heartbeat timeout the helper takes (an hour, as its own check). */
export const MAX_HEARTBEAT_MS = 3_600_000;

/**
 * The environment of a scheduled hand-over whose plan must hear the worker's heartbeat: the helper
 * begins it only if a `beat <nonce>` line came within `heartbeatMs` when it readies the apply.
 */
export function heartbeatEnv(nonce: string | undefined, heartbeatMs: number): string[] {
  if (nonce === undefined) throw new Error('a heartbeat needs the plan’s nonce');
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 1 || heartbeatMs > MAX_HEARTBEAT_MS)
    throw new Error(`a heartbeat timeout is 1..${MAX_HEARTBEAT_MS} ms`);
  return [...abortNonceEnv(nonce)!, `GAMEDAY_BEAT_TIMEOUT_MS=${heartbeatMs}`];
}

/** The heartbeat line of the plan carrying `nonce` (the worker that drives its run is alive). */
export function beatLine(nonce: string): string {
  if (!isAbortNonce(nonce)) throw new Error('an abort nonce is 16 hex digits');
  return `beat ${nonce}\n`;
}

/**
 * The line that aborts the plan carrying `nonce`, written to the helper's stdin; `by` says who
 * asked (the revert's reason), reduced to the words the helper records.
 */
export function abortLine(nonce: string, by: string): string {
  if (!isAbortNonce(nonce)) throw new Error('an abort nonce is 16 hex digits');
  const who = by.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 40) || 'unnamed';
  return `abort ${nonce} ${who}\n`;
}

import type { VerifyOutcome } from './qdisc-verify';

/**
 * The process-kill helper's record, as `gameday-helper status` reports it (kill_* lines: the
 * summary gameday-kill rewrites after every round) and `gameday-helper kills` lists it (one line
 * per signal and per round). Times are epoch ms in the helper's clock.
 */
export interface KillSummary {
  /** rounds made (a round: one scan of the target's processes and its signals) */
  ticks: number;
  /** signals delivered in all rounds */
  kills: number;
  firstTickAt?: number;
  firstTickMatched: number;
  firstTickSignalled: number;
  lastTickAt?: number;
  lastTickSignalled: number;
  /** PID 1 of the target has the name (it is never signalled) */
  pid1Matched: boolean;
  endedAt?: number;
  endReason?: 'window_end' | 'stopped';
}

const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : 0);
const instant = (v: string | undefined) => (num(v) > 0 ? num(v) : undefined);

/** The summary from the status key=values; undefined before gameday-kill wrote one. */
export function parseKillSummary(kv: Record<string, string>): KillSummary | undefined {
  if (kv.kill_ticks === undefined) return undefined;
  const end = kv.kill_end_reason;
  return {
    ticks: num(kv.kill_ticks),
    kills: num(kv.kill_kills),
    firstTickAt: instant(kv.kill_first_tick_at),
    firstTickMatched: num(kv.kill_first_tick_matched),
    firstTickSignalled: num(kv.kill_first_tick_signalled),
    lastTickAt: instant(kv.kill_last_tick_at),
    lastTickSignalled: num(kv.kill_last_tick_signalled),
    pid1Matched: kv.kill_pid1_matched === '1',
    endedAt: instant(kv.kill_ended_at),
    endReason: end === 'window_end' || end === 'stopped' ? end : undefined,
  };
}

export type KillRecordEntry =
  | { type: 'kill'; at: number; pid: number; signal: string; result: string; comm: string }
  | { type: 'tick'; startedAt: number; at: number; matched: number; signalled: number; pid1: boolean }
  | { type: 'end'; at: number; reason: string };

/** `gameday-helper kills` output → its entries; lines it does not know are skipped. */
export function parseKillRecord(text: string): KillRecordEntry[] {
  const out: KillRecordEntry[] = [];
  for (const line of text.split('\n')) {
    const w = line.trim().split(' ');
    if (w[0] === 'kill' && w.length === 6)
      out.push({ type: 'kill', at: num(w[1]), pid: num(w[2]), signal: w[3], result: w[4], comm: w[5] });
    else if (w[0] === 'tick' && w.length === 6)
      out.push({
        type: 'tick',
        startedAt: num(w[1]),
        at: num(w[2]),
        matched: num(w[3]),
        signalled: num(w[4]),
        pid1: w[5] === '1',
      });
    else if (w[0] === 'end' && w.length === 3) out.push({ type: 'end', at: num(w[1]), reason: w[2] });
  }
  return out;
}

/** How late a round may be before the helper counts as off its plan (a busy engine, a stopped helper). */
export const KILL_ROUND_SLACK_MS = 2_000;

/**
 * Whether a process kill is as intended, from its helper's state and record: the helper is in
 * its window, its first round signalled at least one process, and (with a repetition) its last
 * round is not overdue. `nowMs` is in the helper's clock.
 */
export function verifyProcessKill(
  observed: { state: string; summary?: KillSummary },
  plan: { process: string; everyMs: number },
  nowMs: number,
): VerifyOutcome {
  const { state, summary } = observed;
  if (state !== 'applied')
    return { ok: false, reasons: [`the helper is ${state}, not in its window: nothing is signalled any more`] };
  if (!summary || summary.ticks === 0) return { ok: false, reasons: ['the helper has not made its first round yet'] };
  const reasons: string[] = [];
  if (summary.firstTickSignalled === 0)
    reasons.push(
      `no process named "${plan.process}" in the target at T0: nothing was signalled` +
        (summary.pid1Matched ? ' (PID 1 has that name, and PID 1 is never signalled: use a container fault)' : ''),
    );
  if (
    plan.everyMs > 0 &&
    summary.lastTickAt !== undefined &&
    nowMs - summary.lastTickAt > plan.everyMs + KILL_ROUND_SLACK_MS
  )
    reasons.push(
      `the helper's last round was ${nowMs - summary.lastTickAt} ms ago, every ${plan.everyMs} ms was planned: it is off its plan`,
    );
  return reasons.length ? { ok: false, reasons } : { ok: true };
}

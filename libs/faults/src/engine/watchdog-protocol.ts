/**
 * The words exchanged with `gameday-watchdog` (libs/faults/helper/gameday-watchdog.c): its argv,
 * and its record, the lines of its log. Pure, so the parsing is unit-tested.
 */

/** What the watchdog undoes: a paused container (unpause) or a stopped/killed one (start). */
export type WatchdogAction = 'pause' | 'stop';

export interface WatchdogPlan {
  /** the full 64-hex container ID: the one container it may ever touch */
  targetId: string;
  /** the fault's arming (its abort nonce): in every line of its record */
  armingId: string;
  /** when it acts, epoch ms by the engine's clock */
  deadlineMs: number;
  action: WatchdogAction;
  /** the target's State.StartedAt when armed: it acts only on that very run of the container */
  startedAt: string;
}

export function watchdogArgv(plan: WatchdogPlan): string[] {
  return ['watch', plan.targetId, plan.armingId, String(plan.deadlineMs), plan.action, plan.startedAt];
}

export interface WatchdogEvent {
  /** armed | refused | stood_down | acted | failed */
  event: string;
  fields: Record<string, string>;
}

/** The watchdog's record as far as its log goes; instants are epoch ms by the engine's clock. */
export interface WatchdogRecord {
  events: WatchdogEvent[];
  armed: boolean;
  refused?: string;
  stoodDown?: { by: string; reason: string; at: number };
  /** at: the engine answered; calledAt: the request went out */
  acted?: { call: string; status: number; at: number; calledAt: number };
  failed?: { call: string; status: number; at: number; calledAt: number };
}

export function parseWatchdogLog(text: string, armingId?: string): WatchdogRecord {
  const events: WatchdogEvent[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [event, ...words] = line.trim().split(/\s+/);
    if (!event) continue;
    const fields: Record<string, string> = {};
    for (const w of words) {
      const eq = w.indexOf('=');
      if (eq > 0) fields[w.slice(0, eq)] = w.slice(eq + 1);
    }
    // a line of another arming (never expected: one watchdog, one arming) is not this fault's record
    if (armingId && fields.arming !== armingId) continue;
    events.push({ event, fields });
  }
  const last = (name: string) => [...events].reverse().find((e) => e.event === name)?.fields;
  const ms = (v?: string) => Number(v ?? NaN);
  const record: WatchdogRecord = { events, armed: events.some((e) => e.event === 'armed') };
  const refused = last('refused');
  if (refused) record.refused = refused.reason ?? 'unknown';
  const stood = last('stood_down');
  if (stood) record.stoodDown = { by: stood.by ?? '', reason: stood.reason ?? '', at: ms(stood.now) };
  const acted = last('acted');
  const call = (f: Record<string, string>) => ({
    call: f.call ?? '',
    status: ms(f.status),
    at: ms(f.at),
    calledAt: ms(f.called ?? f.at),
  });
  if (acted) record.acted = call(acted);
  const failed = last('failed');
  if (failed) record.failed = call(failed);
  return record;
}

/**
 * A container's log as the Engine API returns it without a TTY: frames of an 8-byte header
 * (stream, 0, 0, 0, big-endian length) and that many bytes. Stdout only.
 */
export function demuxDockerLog(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const stream = buf[i];
    const size = buf.readUInt32BE(i + 4);
    if (stream === 1) out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString('utf8');
}

/** The Engine's RFC 3339 instant (nanoseconds) to epoch ms; NaN when unreadable. */
export function engineInstantMs(s: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(s);
  if (!m) return NaN;
  return Date.parse(`${m[1]}Z`) + Number(((m[2] ?? '') + '000').slice(0, 3));
}

import type { ExpectedFilter, ExpectedNetem, ExpectedTree } from './network-fault.types';

/** One entry of `tc -j qdisc show` (only the fields we read). */
export interface TcQdiscJson {
  kind: string;
  handle: string;
  dev?: string;
  root?: boolean;
  parent?: string;
  options?: Record<string, unknown>;
}

export type VerifyOutcome = { ok: true } | { ok: false; reasons: string[] };

/** Absolute tolerance for fractions (the kernel stores percentages as 32-bit fixed point). */
const FRACTION_TOLERANCE = 1e-4;

/**
 * Parses one or more `tc -j qdisc show dev X` outputs; a device that vanished is passed as "" or
 * "[]". `tc -j … dev X` does not repeat the device in each entry, so when `devices` is given
 * (aligned with `outputs`), entries without one are tagged with theirs.
 */
export function parseTcQdiscJson(outputs: string | string[], devices?: string[]): TcQdiscJson[] {
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const all: TcQdiscJson[] = [];
  for (const [index, text] of list.entries()) {
    const dev = devices && devices.length === list.length ? devices[index] : undefined;
    const trimmed = text.trim();
    if (trimmed === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error(`tc output is not JSON: ${trimmed.slice(0, 200)}`);
    }
    if (!Array.isArray(parsed)) throw new Error('tc -j qdisc output is not a JSON array');
    all.push(...(parsed as TcQdiscJson[]).map((q) => (q.dev === undefined && dev !== undefined ? { ...q, dev } : q)));
  }
  return all;
}

function parentOf(q: TcQdiscJson): string {
  if (q.root) return 'root';
  if (q.kind === 'ingress' || q.kind === 'clsact') return 'ingress';
  return q.parent ?? '?';
}

function near(actual: unknown, expected: number, tolerance: number): boolean {
  return typeof actual === 'number' && Math.abs(actual - expected) <= tolerance;
}

function timeTolerance(seconds: number): number {
  // tc converts through scheduler ticks on old kernels: allow 1 µs or 0.1 %.
  return Math.max(1e-6, seconds * 1e-3);
}

function compareNetem(where: string, options: Record<string, unknown> | undefined, e: ExpectedNetem): string[] {
  const reasons: string[] = [];
  const o = options ?? {};
  const obj = (key: string) =>
    typeof o[key] === 'object' && o[key] !== null ? (o[key] as Record<string, unknown>) : undefined;
  const check = (label: string, actual: unknown, expected: number | undefined, tol = FRACTION_TOLERANCE) => {
    if (expected === undefined) return;
    if (!near(actual ?? 0, expected, tol))
      reasons.push(`${where}: ${label} is ${JSON.stringify(actual ?? null)}, expected ${expected}`);
  };
  if (o.limit !== e.limit) reasons.push(`${where}: limit is ${JSON.stringify(o.limit ?? null)}, expected ${e.limit}`);
  if (e.delaySeconds !== undefined) {
    const d = obj('delay');
    if (!d) reasons.push(`${where}: delay missing, expected ${e.delaySeconds}s`);
    else {
      check('delay', d.delay, e.delaySeconds, timeTolerance(e.delaySeconds));
      check('jitter', d.jitter, e.jitterSeconds, timeTolerance(e.jitterSeconds ?? 0));
      check('delay correlation', d.correlation, e.delayCorrelation);
    }
  } else if (obj('delay') && near(obj('delay')!.delay, 0, 0) === false) {
    reasons.push(`${where}: unexpected delay ${JSON.stringify(obj('delay')!.delay)}`);
  }
  const section = (key: string, expected: Record<string, number | undefined> | undefined) => {
    const actual = obj(key);
    if (expected === undefined) {
      if (actual) reasons.push(`${where}: unexpected ${key}`);
      return;
    }
    if (!actual) {
      reasons.push(`${where}: ${key} missing`);
      return;
    }
    for (const [k, v] of Object.entries(expected)) check(`${key}.${k}`, actual[k], v);
  };
  section('loss-random', e.lossRandom);
  section('loss-state', e.lossState);
  section('loss-gemodel', e.lossGemodel);
  section('duplicate', e.duplicate === undefined ? undefined : { duplicate: e.duplicate });
  section('corrupt', e.corrupt === undefined ? undefined : { corrupt: e.corrupt });
  section('reorder', e.reorder);
  if (e.gap !== undefined && o.gap !== e.gap)
    reasons.push(`${where}: gap is ${JSON.stringify(o.gap ?? null)}, expected ${e.gap}`);
  if (e.rateBytesPerSecond !== undefined) {
    const r = obj('rate');
    if (!r || !near(r.rate, e.rateBytesPerSecond, Math.max(1, e.rateBytesPerSecond * 1e-3))) {
      reasons.push(`${where}: rate is ${JSON.stringify(r?.rate ?? null)} bytes/s, expected ${e.rateBytesPerSecond}`);
    }
  } else if (obj('rate')) reasons.push(`${where}: unexpected rate`);
  return reasons;
}

/**
 * The verify argv runs the qdisc shows first, then the filter shows. Callers may pass only the
 * qdisc outputs (one per device); filters are checked when their outputs are there too.
 */
function splitOutputs(
  expected: ExpectedTree,
  outputs: string | string[],
): { qdiscs: string | string[]; filters?: string[] } {
  const shows = expected.filterShows ?? [];
  if (Array.isArray(outputs) && shows.length > 0 && outputs.length === expected.devices.length + shows.length) {
    return { qdiscs: outputs.slice(0, expected.devices.length), filters: outputs.slice(expected.devices.length) };
  }
  return { qdiscs: outputs };
}

interface TcFilterJson {
  protocol?: string;
  pref?: number;
  kind?: string;
  options?: { flowid?: string; actions?: { kind?: string; to_dev?: string }[] };
}

/** Checks that each filter we added is there (a competing tool may flush filters and keep qdiscs). */
export function verifyFilters(expected: ExpectedTree, filterOutputs: string[]): VerifyOutcome {
  const shows = expected.filterShows ?? [];
  const reasons: string[] = [];
  const byShow = new Map<string, TcFilterJson[]>();
  shows.forEach((show, i) => {
    const text = (filterOutputs[i] ?? '').trim();
    let parsed: unknown = [];
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        reasons.push(`tc filter output for ${show.dev} parent ${show.parent} is not JSON: ${text.slice(0, 120)}`);
      }
    }
    byShow.set(`${show.dev} ${show.parent}`, Array.isArray(parsed) ? (parsed as TcFilterJson[]) : []);
  });
  const describe = (f: ExpectedFilter) => `filter ${f.dev} parent ${f.parent} ${f.protocol} pref ${f.pref}`;
  for (const f of expected.filters ?? []) {
    const entries = (byShow.get(`${f.dev} ${f.parent}`) ?? []).filter(
      (e) => e.pref === f.pref && e.protocol === f.protocol && e.options !== undefined,
    );
    if (entries.length === 0) {
      reasons.push(`${describe(f)} not found`);
      continue;
    }
    if (f.flowid !== undefined && !entries.some((e) => e.options?.flowid === f.flowid))
      reasons.push(`${describe(f)}: no match sends to ${f.flowid}`);
    if (
      f.redirectTo !== undefined &&
      !entries.some((e) => e.options?.actions?.some((a) => a.kind === 'mirred' && a.to_dev === f.redirectTo))
    )
      reasons.push(`${describe(f)}: no mirred redirect to ${f.redirectTo}`);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/**
 * Compares the qdiscs we expect with what the kernel reports. Used right after apply and again
 * during the fault window: a container restart or another tool replacing the root shows up here.
 */
export function verifyQdiscs(expected: ExpectedTree, tcJsonOutput: string | string[]): VerifyOutcome {
  const split = splitOutputs(expected, tcJsonOutput);
  let actual: TcQdiscJson[];
  try {
    actual = parseTcQdiscJson(split.qdiscs, expected.devices);
  } catch (err) {
    return { ok: false, reasons: [(err as Error).message] };
  }
  const reasons: string[] = [];
  for (const e of expected.qdiscs) {
    const found = actual.find(
      (q) =>
        q.handle === e.handle &&
        (q.dev === undefined || q.dev === e.dev) &&
        (e.kind !== 'ingress' || q.kind === 'ingress'),
    );
    const where = `${e.dev} ${e.kind} ${e.handle}`;
    if (!found) {
      const root = actual.find((q) => q.root && (q.dev === undefined || q.dev === e.dev));
      reasons.push(
        `${where} not found${e.parent === 'root' && root ? ` (root qdisc is ${root.kind} ${root.handle})` : ''}`,
      );
      continue;
    }
    if (found.kind !== e.kind) reasons.push(`${where}: kind is ${found.kind}`);
    if (parentOf(found) !== e.parent) reasons.push(`${where}: parent is ${parentOf(found)}, expected ${e.parent}`);
    if (e.netem && found.kind === 'netem') reasons.push(...compareNetem(where, found.options, e.netem));
  }
  if (split.filters) {
    const f = verifyFilters(expected, split.filters);
    if (!f.ok) reasons.push(...f.reasons);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** After revert: none of the qdiscs we own may remain (other qdiscs are not our business). */
export function verifyReverted(expected: ExpectedTree, tcJsonOutput: string | string[]): VerifyOutcome {
  let actual: TcQdiscJson[];
  try {
    // Filters vanish with their qdisc: only the qdisc outputs matter here.
    actual = parseTcQdiscJson(splitOutputs(expected, tcJsonOutput).qdiscs, expected.devices);
  } catch (err) {
    return { ok: false, reasons: [(err as Error).message] };
  }
  const reasons: string[] = [];
  for (const o of expected.owned) {
    if (o.kind === 'link') {
      if (actual.some((q) => q.dev === o.dev)) reasons.push(`device ${o.dev} still exists`);
      continue;
    }
    const left = actual.find(
      (q) => q.handle === o.handle && q.kind === o.kind && (q.dev === undefined || q.dev === o.dev),
    );
    if (left) reasons.push(`${o.dev} ${o.kind} ${o.handle} still present`);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

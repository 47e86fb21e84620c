import type { DiskFillPlan } from './disk-fill.schema';
import type { VerifyOutcome } from './qdisc-verify';

/**
 * The disk-fill helper's record, as `gameday-helper status` reports it (fill_* lines: the summary
 * gameday-fill rewrites), and the read-back `gameday-fill check PATH ID` prints. Times are epoch
 * ms in the helper's clock, sizes bytes.
 */
export interface FillSummary {
  createdAt?: number;
  appliedAt?: number;
  removedAt?: number;
  /** what the plan asked for at T0 (statfs then), and what was created */
  plannedBytes: number;
  bytes: number;
  /** smaller than planned: the floor or the free space at T0 (a warning, never an overfill) */
  clipped: boolean;
  /** fallocate, or write (zeros: the filesystem refused fallocate) */
  method: string;
  freeBefore: number;
  freeAfter: number;
  endReason: string;
  error: string;
}

const num = (v: string | undefined) => (v !== undefined && /^-?\d+$/.test(v) ? Number(v) : -1);
const instant = (v: string | undefined) => (num(v) > 0 ? num(v) : undefined);

/** The summary from the status key=values; undefined before gameday-fill wrote one. */
export function parseFillSummary(kv: Record<string, string>): FillSummary | undefined {
  if (kv.fill_created_at === undefined) return undefined;
  return {
    createdAt: instant(kv.fill_created_at),
    appliedAt: instant(kv.fill_applied_at),
    removedAt: instant(kv.fill_removed_at),
    plannedBytes: num(kv.fill_planned_bytes),
    bytes: num(kv.fill_bytes),
    clipped: kv.fill_clipped === '1',
    method: kv.fill_method ?? '',
    freeBefore: num(kv.fill_free_before),
    freeAfter: num(kv.fill_free_after),
    endReason: kv.fill_end_reason ?? '',
    error: kv.fill_error ?? '',
  };
}

/** `gameday-fill check`: the file (exists, size, allocated) and its filesystem now. */
export interface FillCheck {
  exists: boolean;
  /** the directory itself is there */
  dir: boolean;
  size: number;
  allocated: number;
  availBytes: number;
}

export function parseFillCheck(kv: Record<string, string>): FillCheck {
  return {
    exists: kv.exists === '1',
    dir: kv.dir === '1',
    size: Math.max(0, num(kv.size)),
    allocated: Math.max(0, num(kv.allocated)),
    availBytes: num(kv.bavail) >= 0 && num(kv.frsize) > 0 ? num(kv.bavail) * num(kv.frsize) : -1,
  };
}

/** The figures a lease and a report show for a fill in place, and its warnings. */
export function fillWarnings(summary: FillSummary | undefined): string[] {
  if (!summary?.appliedAt) return [];
  const out: string[] = [];
  if (summary.plannedBytes === 0)
    out.push('the filesystem was already as full as asked at T0: the fill file added nothing');
  else if (summary.clipped)
    out.push(
      `the fill was clipped at T0 to ${summary.bytes} bytes (${summary.plannedBytes} planned): the floor or the free space then did not allow more`,
    );
  if (summary.method === 'write')
    out.push('the filesystem refused fallocate: the file was written with zeros (slower at T0)');
  return out;
}

/**
 * Whether a fill is as intended: the helper is in its window, the file exists at the size the
 * helper created (its allocated blocks too: a sparse file would fill nothing), read through the
 * target's PID namespace.
 */
export function verifyDiskFill(
  observed: { state: string; summary?: FillSummary; check: FillCheck },
  plan: Pick<DiskFillPlan, 'path' | 'id'>,
): VerifyOutcome {
  const { state, summary, check } = observed;
  if (state !== 'applied')
    return { ok: false, reasons: [`the helper is ${state}, not in its window: no fill file is meant to be there`] };
  const file = `${plan.path}/.gameday-fill-${plan.id}`;
  if (!check.exists) return { ok: false, reasons: [`${file} is not in the target (removed by someone else?)`] };
  const want = summary?.bytes ?? -1;
  const reasons: string[] = [];
  if (want >= 0 && check.size !== want) reasons.push(`${file} is ${check.size} bytes, ${want} were created`);
  // allocation is in blocks: a little more than the size is normal, much less means holes
  if (want > 0 && check.allocated < want * 0.99)
    reasons.push(`${file} holds ${check.allocated} bytes on disk, ${want} were allocated: it no longer fills them`);
  return reasons.length ? { ok: false, reasons } : { ok: true };
}

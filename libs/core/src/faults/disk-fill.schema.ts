import { z } from 'zod';
import { targetSchema } from './target.schema';

/**
 * The disk-fill fault: a file of ours under `path` inside the target's own filesystem view (its
 * writable layer, or the tmpfs or volume mounted there), created at T0 and removed at T1 by a
 * helper in the target's PID namespace. `size` is N MB, or "until that filesystem is N % used"
 * (as `df` in the target shows it). The path reaches the helper as one argv word, and only
 * characters no shell, option parser or path walk reads as anything else are accepted.
 */

/** 1 TiB: more than any disk here; a larger fill is a typo, not an experiment */
export const DISK_FILL_MAX_MB = 1_048_576;
export const DISK_FILL_PATH_MAX = 255;
/** The file's name is this prefix and the fault's 8-hex-digit id: nothing else is ever removed. */
export const FILL_FILE_PREFIX = '.gameday-fill-';
export const FILL_ID = /^[0-9a-f]{8}$/;
const MIB = 1_048_576;

const PATH_CHARS = /^\/[A-Za-z0-9._/-]*$/;
/** No `.` or `..` component (`...` or `.cache` are names like any other). */
const hasDotComponent = (p: string) => p.split('/').some((seg) => seg === '.' || seg === '..');

/**
 * A path as the helper takes it, in one pattern (the ledger's allow-list uses it too; `valid_path`
 * in gameday-fill.c checks the same again): absolute, at most 255 characters, components of
 * [A-Za-z0-9._-] separated by single slashes, none of them `.` or `..`, no trailing slash.
 */
export const FILL_PATH = /^(?=.{1,255}$)(?!.*\/\.{1,2}(?:\/|$))\/(?:[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*)?$/;

export const isFillPath = (p: string): boolean => FILL_PATH.test(p);

export const fillPathSchema = z
  .string({ error: 'path is an absolute path in the target, e.g. "/data"' })
  .min(1, 'path must not be empty')
  .max(DISK_FILL_PATH_MAX, `path has at most ${DISK_FILL_PATH_MAX} characters`)
  .regex(
    PATH_CHARS,
    'path is an absolute path in the target ("/data"): letters, digits and "._/-" only; no spaces, quotes, shell characters or control characters',
  )
  .refine((p) => !hasDotComponent(p), 'path must not contain "." or ".." components: give the plain path')
  // one spelling per directory: the ledger's allow-list and the helper compare it as written
  .refine((p) => !p.includes('//') && (p === '/' || !p.endsWith('/')), 'path has no "//" and no trailing "/"');

const int = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a whole number from ${min} to ${max}` })
    .int(`${field} must be a whole number from ${min} to ${max}`)
    .min(min, `${field} must be at least ${min}`)
    .max(max, `${field} must be at most ${max}`);

/**
 * One object with both members optional and exactly one given (not a union of two): a bad number
 * is then refused at its own field (size.mb), whatever else is wrong.
 */
export const fillSizeSchema = z
  .strictObject(
    {
      mb: int('size.mb', 1, DISK_FILL_MAX_MB).optional(),
      /** fill until the filesystem is this % used, as df shows it (refused at arming if it already is) */
      percent: int('size.percent', 1, 100).optional(),
    },
    { error: `size is { mb: 1..${DISK_FILL_MAX_MB} } or { percent: 1..100 }` },
  )
  .refine((s) => (s.mb === undefined) !== (s.percent === undefined), {
    message: `size is { mb: 1..${DISK_FILL_MAX_MB} } or { percent: 1..100 }: exactly one of them`,
  });

export const diskFillFaultSchema = z.strictObject({
  kind: z.literal('disk-fill'),
  target: targetSchema,
  /** a directory in the target's filesystem view; the file is created in it */
  path: fillPathSchema,
  size: fillSizeSchema,
});

export type DiskFillFaultSpec = z.infer<typeof diskFillFaultSchema>;

/** A filesystem as statfs(2) shows it (f_frsize, f_blocks, f_bfree, f_bavail). */
export interface FillStatfs {
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/** What the arming probe found at `path` in the target. */
export interface FillProbe {
  statfs: FillStatfs;
  /** a filesystem of the target's own (a tmpfs, a device none of the engine's mounts is on) */
  own: boolean;
  /** why it was judged so: tmpfs | own_device | anonymous_device | engine_device */
  ownWhy: string;
  fsType: string;
}

/** The plan handed to the helper (numbers and the path), with the figures it was judged by. */
export interface DiskFillPlan {
  path: string;
  id: string;
  mode: 'mb' | 'percent';
  value: number;
  /** bytes the fill would take now (the helper computes them again at T0) */
  bytes: number;
  /** free bytes the fill must leave (0: a filesystem of the target's own, which may be filled up) */
  floorBytes: number;
  own: boolean;
  ownWhy: string;
  fsType: string;
  /** the filesystem's size and free bytes (f_bavail) at arming */
  totalBytes: number;
  freeBytes: number;
  /** UID:GID the helper runs as (the target init's, when not root's); absent: root */
  runAs?: string;
}

export class DiskFillPlanError extends Error {
  constructor(
    /** the field of the fault it names: size.mb, size.percent, path */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'DiskFillPlanError';
  }
}

/** At least this much stays free on a filesystem shared with the engine (and 5 % of it, if more). */
export const FILL_FLOOR_MIN_BYTES = 512 * MIB;
export const FILL_FLOOR_SHARE = 0.05;

/** What a fill must leave free on a filesystem shared with the engine: 5 % or 512 MB, whichever is larger. */
export function fillFloorBytes(totalBytes: number): number {
  return Math.max(Math.ceil(totalBytes * FILL_FLOOR_SHARE), FILL_FLOOR_MIN_BYTES);
}

/** df's figures: used (blocks - bfree), available to us (bavail), and Use% = used / (used + avail). */
export function dfFigures(s: FillStatfs): { totalBytes: number; usedBytes: number; availBytes: number } {
  return {
    totalBytes: s.blocks * s.frsize,
    usedBytes: (s.blocks - s.bfree) * s.frsize,
    availBytes: s.bavail * s.frsize,
  };
}

/** Bytes to fill for a size on a filesystem as it is now (0: already that full); gameday-fill does the same at T0. */
export function fillBytes(size: DiskFillFaultSpec['size'], s: FillStatfs): number {
  if (size.mb !== undefined) return size.mb * MIB;
  const { usedBytes, availBytes } = dfFigures(s);
  return Math.max(0, Math.ceil(((size.percent ?? 0) * (usedBytes + availBytes)) / 100) - usedBytes);
}

const mb = (bytes: number) => `${Math.floor(bytes / MIB)} MB`;

/**
 * The plan for one target from its arming probe, or a DiskFillPlanError naming the field: a
 * percent the filesystem is already at; a fill larger than the free space; on a filesystem shared
 * with the engine (its writable layer, a volume), a fill that would leave less free than the floor.
 */
export function planDiskFill(spec: DiskFillFaultSpec, probe: FillProbe, id: string): DiskFillPlan {
  if (!FILL_ID.test(id)) throw new Error(`not a fill id: ${id}`);
  const { totalBytes, usedBytes, availBytes } = dfFigures(probe.statfs);
  const mode = spec.size.mb !== undefined ? 'mb' : 'percent';
  const value = spec.size.mb ?? spec.size.percent ?? 0;
  const field = `size.${mode}`;
  const bytes = fillBytes(spec.size, probe.statfs);
  if (mode === 'percent' && bytes === 0)
    throw new DiskFillPlanError(
      field,
      `${field} (${value}) is already reached: ${spec.path} is ${Math.ceil((100 * usedBytes) / (usedBytes + availBytes || 1))} % used`,
    );
  const floorBytes = probe.own ? 0 : fillFloorBytes(totalBytes);
  if (bytes > availBytes - floorBytes)
    throw new DiskFillPlanError(
      field,
      probe.own
        ? `${field} (${value}) needs ${mb(bytes)}, more than the ${mb(availBytes)} free at ${spec.path}`
        : `${field} (${value}) needs ${mb(bytes)} at ${spec.path}, whose filesystem is shared with the engine and every container on it (${probe.ownWhy}): it must keep ${mb(floorBytes)} free (5 % or 512 MB), so at most ${mb(Math.max(0, availBytes - floorBytes))} may be filled`,
    );
  return {
    path: spec.path,
    id,
    mode,
    value,
    bytes,
    floorBytes,
    own: probe.own,
    ownWhy: probe.ownWhy,
    fsType: probe.fsType,
    totalBytes,
    freeBytes: availBytes,
  };
}

/** The file a plan creates, in the target's view. */
export const fillFilePath = (plan: Pick<DiskFillPlan, 'path' | 'id'>): string =>
  `${plan.path === '/' ? '' : plan.path}/${FILL_FILE_PREFIX}${plan.id}`;

/** The one command a lease runs from the ledger: gameday-fill removes exactly that file. */
export const fillRemoveArgv = (plan: Pick<DiskFillPlan, 'path' | 'id'>): string[] => [
  'gameday-fill',
  'rm',
  plan.path,
  plan.id,
];

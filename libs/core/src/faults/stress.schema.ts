import { z } from 'zod';
import { targetSchema } from './target.schema';

/**
 * The stress fault: CPU workers at a load, memory held and/or IO load, by stress-ng running in the
 * target's own cgroup, so that the target's limits apply to it as they would to its own code.
 * Every number reaches the helper as a number it checks again: no word of the spec is ever a
 * command-line word of its own.
 */

export const STRESS_MAX_CPU_WORKERS = 64;
/** 64 GiB: more than any container here; a larger hold is a typo, not an experiment */
export const STRESS_MAX_MEMORY_MB = 65_536;
export const STRESS_MAX_IO_WORKERS = 16;
/** per IO worker: its file is written, read back and removed in a loop (on the engine's disk) */
export const STRESS_MAX_IO_MB = 1_024;
/** what an IO worker writes when `io.mb` is not given */
export const STRESS_DEFAULT_IO_MB = 64;
/** all IO workers' files together, on the engine's disk (the helper's writable layer) */
export const STRESS_MAX_IO_TOTAL_MB = 4_096;

const int = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a whole number from ${min} to ${max}` })
    .int(`${field} must be a whole number from ${min} to ${max}`)
    .min(min, `${field} must be at least ${min}`)
    .max(max, `${field} must be at most ${max}`);

export const stressCpuSchema = z.strictObject({
  /** stress-ng --cpu: each worker is one process busy on one CPU */
  workers: int('cpu.workers', 1, STRESS_MAX_CPU_WORKERS),
  /** stress-ng --cpu-load: each worker's share of its CPU, in percent */
  load: int('cpu.load', 1, 100).default(100),
});

export const stressMemorySchema = z.union(
  [
    z.strictObject({ mb: int('memory.mb', 1, STRESS_MAX_MEMORY_MB) }),
    /** a share of the target's memory limit (refused at arming when the target has none) */
    z.strictObject({ percentOfLimit: int('memory.percentOfLimit', 1, 100) }),
  ],
  { error: 'memory is { mb: 1..65536 } or { percentOfLimit: 1..100 }' },
);

export const stressIoSchema = z
  .strictObject({
    /** stress-ng --hdd: each worker writes a file, reads it back and removes it, in a loop */
    workers: int('io.workers', 1, STRESS_MAX_IO_WORKERS),
    /** stress-ng --hdd-bytes: the size of each worker's file, in MB */
    mb: int('io.mb', 1, STRESS_MAX_IO_MB).default(STRESS_DEFAULT_IO_MB),
  })
  .refine((io) => io.workers * io.mb <= STRESS_MAX_IO_TOTAL_MB, {
    message: `io.workers x io.mb is at most ${STRESS_MAX_IO_TOTAL_MB} MB: the files are on the engine's disk`,
    path: ['mb'],
  });

export const stressFaultSchema = z
  .strictObject({
    kind: z.literal('stress'),
    target: targetSchema,
    cpu: stressCpuSchema.optional(),
    memory: stressMemorySchema.optional(),
    io: stressIoSchema.optional(),
  })
  .refine((s) => s.cpu !== undefined || s.memory !== undefined || s.io !== undefined, {
    message: 'a stress fault needs cpu, memory, io or several of them',
    path: ['cpu'],
  });

export type StressFaultSpec = z.infer<typeof stressFaultSchema>;

/** What the helper is handed: numbers only (0: that part is off), the memory already in MB. */
export interface StressPlan {
  cpuWorkers: number;
  cpuLoad: number;
  memoryMb: number;
  /** absent in plans armed before IO was a part (read as 0) */
  ioWorkers?: number;
  ioMb?: number;
}

/** The plan as armed on one target: its cgroup, below each hierarchy's root, and the cgroup version. */
export type ArmedStressPlan = StressPlan & { cgroupPath: string; cgroupVersion: 1 | 2 };

export class StressPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StressPlanError';
  }
}

/**
 * The plan for one target: `memoryLimitBytes` is the target's memory limit (0: none), which a
 * share of the limit needs and which a hold must stay under (at or above it, the target's
 * cgroup would only OOM-kill our worker over and over: asked for, that is not a stress).
 */
export function stressPlan(spec: StressFaultSpec, memoryLimitBytes = 0): StressPlan {
  let memoryMb = 0;
  if (spec.memory && 'percentOfLimit' in spec.memory) {
    if (!memoryLimitBytes)
      throw new StressPlanError('memory.percentOfLimit needs a memory limit on the target, and it has none');
    memoryMb = Math.max(1, Math.floor((memoryLimitBytes * spec.memory.percentOfLimit) / 100 / 1048576));
  } else if (spec.memory) memoryMb = spec.memory.mb;
  if (memoryLimitBytes && memoryMb * 1048576 > memoryLimitBytes)
    throw new StressPlanError(
      `memory.mb (${memoryMb}) is above the target's memory limit (${Math.floor(memoryLimitBytes / 1048576)} MB)`,
    );
  return {
    cpuWorkers: spec.cpu?.workers ?? 0,
    cpuLoad: spec.cpu ? spec.cpu.load : 0,
    memoryMb,
    ioWorkers: spec.io?.workers ?? 0,
    ioMb: spec.io ? spec.io.mb : 0,
  };
}

/** Seconds past T1 after which stress-ng stops by itself (its own --timeout: the second clock). */
export const STRESS_TIMEOUT_MARGIN_S = 2;

/**
 * The stress-ng argv the helper runs for a plan and a window (what the dry run shows; the helper
 * builds the same words from the plan's numbers). The memory worker maps and touches its bytes
 * once, then holds them (`--vm-hang 0`: no re-writing, no CPU of its own). The IO workers write
 * in the helper's /tmp (the engine's disk, as the target's writable layer is), charged to the
 * target's cgroup; gameday-stress removes what stress-ng leaves when it is killed at T1.
 */
export function stressNgArgv(plan: StressPlan, windowMs: number): string[] {
  const timeoutS = Math.ceil(windowMs / 1000) + STRESS_TIMEOUT_MARGIN_S;
  return [
    'stress-ng',
    '--timeout',
    `${timeoutS}s`,
    ...(plan.cpuWorkers ? ['--cpu', String(plan.cpuWorkers), '--cpu-load', String(plan.cpuLoad)] : []),
    ...(plan.memoryMb ? ['--vm', '1', '--vm-bytes', `${plan.memoryMb}m`, '--vm-hang', '0', '--vm-keep'] : []),
    ...(plan.ioWorkers ? ['--hdd', String(plan.ioWorkers), '--hdd-bytes', `${plan.ioMb}m`, '--temp-path', '/tmp'] : []),
  ];
}

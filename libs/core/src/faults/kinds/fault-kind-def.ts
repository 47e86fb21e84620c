import type { z } from 'zod';
import type { TargetSpec } from '../target.schema';

/** What a command read back from the lease ledger is for. */
export type LedgerUse = 'revert' | 'verify';

/** A word that varies (a device, a chain id), as a pattern; the label names it in refusals. */
export interface LedgerPattern {
  readonly pattern: RegExp;
  readonly label: string;
}

/** One word of a command GameDay writes to the ledger: a literal, one of a list, or a pattern. */
export type LedgerWord = string | readonly string[] | LedgerPattern;

/** A command, word by word: an argv matches when it has as many words and each one matches. */
export type LedgerShape = readonly LedgerWord[];

/**
 * The pure part of one fault kind that the rest of core builds from: its member of the spec's
 * fault union and the commands its leases may run from the ledger. Listed once, in
 * fault-kind-def.registry.ts; core's shared code never names a kind.
 */
export interface FaultKindDef<Name extends string = string> {
  readonly name: Name;
  /**
   * A strict object with `kind: z.literal(name)` (the union tells members apart by kind) and a
   * `target`, unless the kind says where its targets are (`targets`).
   */
  readonly schema: z.core.$ZodTypeDiscriminable & z.ZodType<{ kind: Name }>;
  /** The target selectors a fault names, with their paths in it; absent: its one `target`. */
  targets?(fault: { kind: Name }): FaultTargetRef[];
  /**
   * Every argv shape its compiler writes to the ledger, per use; anything else read back from a row
   * of this kind is refused. null: its leases run no argv (a Docker API call reverts them).
   */
  readonly ledgerArgv: Readonly<Record<LedgerUse, readonly LedgerShape[]>> | null;
  /**
   * What the experiment's fault window (durations.fault, ms) makes wrong in a fault of this kind
   * (a repetition longer than the window, say); paths are relative to the fault. Absent: nothing.
   */
  windowIssues?(fault: { kind: Name }, windowMs: number): FaultWindowIssue[];
  /**
   * Why two faults of this kind on one target selector cannot both be steps of one experiment, even
   * apart in time (what guards the first would be stood down by arming the second); null: they can,
   * SAME_TARGET_GAP_MS apart. Absent: always can.
   */
  oneStepPerTarget?(fault: { kind: Name }): string | null;
}

/** One target selector of a fault and where it is in the fault. */
export interface FaultTargetRef {
  path: (string | number)[];
  target: TargetSpec;
}

/** One problem of a fault against its window, reported at `fault.<path>` of the experiment. */
export interface FaultWindowIssue {
  path: (string | number)[];
  message: string;
}

/** A pattern word; `label` is how refusals name it (DEVICE, gdifbN, ...). */
export const ledgerPattern = (pattern: RegExp, label: string): LedgerPattern => ({ pattern, label });

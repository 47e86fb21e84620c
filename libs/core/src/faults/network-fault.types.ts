/** What a compiled network fault is: its tc argv and the tree of qdiscs and filters it leaves. */

export interface ExpectedNetem {
  limit: number;
  delaySeconds?: number;
  jitterSeconds?: number;
  /** Fractions 0..1, as `tc -j` reports them. */
  delayCorrelation?: number;
  lossRandom?: { loss: number; correlation?: number };
  lossState?: Record<'p13' | 'p31' | 'p32' | 'p23' | 'p14', number | undefined>;
  lossGemodel?: { p: number; r?: number; '1-h'?: number; '1-k'?: number };
  duplicate?: number;
  corrupt?: number;
  reorder?: { reorder: number; correlation?: number };
  gap?: number;
  rateBytesPerSecond?: number;
}

export interface ExpectedQdisc {
  dev: string;
  kind: string;
  handle: string;
  /** "root", or the parent class id as tc prints it (e.g. "4744:2"). */
  parent: string;
  netem?: ExpectedNetem;
}

/** A u32 filter we add, as `tc -j filter show dev X parent P` reports it. */
export interface ExpectedFilter {
  dev: string;
  parent: string;
  protocol: string;
  pref: number;
  flowid?: string;
  /** mirred redirect target (ingress → IFB). */
  redirectTo?: string;
}

export interface OwnedObject {
  dev: string;
  handle: string;
  kind: string;
}

export interface ExpectedTree {
  qdiscs: ExpectedQdisc[];
  /** What revert removes; verification after revert expects none of these. */
  owned: OwnedObject[];
  /** Devices whose `tc -j qdisc show dev X` output verification needs, in verify argv order. */
  devices: string[];
  /** Created by us for ingress faults; it disappears with revert. */
  ifbDevice?: string;
  filterCount: number;
  filters: ExpectedFilter[];
  /** `tc -j filter show dev X parent P` runs that follow the qdisc shows in the verify argv. */
  filterShows: { dev: string; parent: string }[];
}

export interface CompiledNetworkFault {
  device: string;
  direction: 'egress' | 'ingress';
  handle: string;
  ifbDevice?: string;
  apply: string[][];
  /** `undo[i]` undoes `apply[i]` (null when a later undo covers it); rollback walks it backwards. */
  undo: (string[] | null)[];
  verify: string[][];
  revert: string[][];
  expected: ExpectedTree;
  warnings: string[];
}

export class FaultCompileError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'FaultCompileError';
  }
}

import type { FaultLease } from './fault-lease';
import type { LedgerShape, LedgerUse, LedgerWord } from './kinds/fault-kind-def';
import { FAULT_KIND_DEFS, faultKindDef } from './kinds/fault-kind-def.registry';

export type { LedgerUse } from './kinds/fault-kind-def';

/**
 * The reaper and every revert after a crash run argv read back from the lease ledger, as root, in
 * the target's network namespace (nsenter: on the host). A ledger row is data anyone with write
 * access to Postgres can change, so only the exact commands GameDay itself writes there are run:
 * each kind lists its own (kinds/<kind>.kind-def.ts). Anything else (`ip netns exec …`,
 * `tc -batch …`, `sh -c …`, a root qdisc without our handle, another chain, `iptables-restore`)
 * is refused whatever the row says.
 */
// a kind may share another's commands (a partition's are a blackhole's): each shape once
const SHAPES: Record<LedgerUse, readonly LedgerShape[]> = {
  revert: [...new Set(FAULT_KIND_DEFS.flatMap((def): readonly LedgerShape[] => def.ledgerArgv?.revert ?? []))],
  verify: [...new Set(FAULT_KIND_DEFS.flatMap((def): readonly LedgerShape[] => def.ledgerArgv?.verify ?? []))],
};

const isList = (w: LedgerWord): w is readonly string[] => Array.isArray(w);

function matches(word: string, want: LedgerWord): boolean {
  if (typeof want === 'string') return word === want;
  return isList(want) ? want.includes(word) : want.pattern.test(word);
}

function describe(shape: LedgerShape): string {
  return shape.map((w) => (typeof w === 'string' ? w : isList(w) ? w.join('|') : w.label)).join(' ');
}

export class LedgerArgvError extends Error {
  constructor(
    readonly argv: unknown,
    readonly use: LedgerUse,
    readonly reason: string,
  ) {
    super(
      `refused to run ${JSON.stringify(argv)?.slice(0, 200)} from the lease ledger (${use}): ${reason}; GameDay never writes such a command`,
    );
    this.name = 'LedgerArgvError';
  }
}

/** Why `argv` is not a command GameDay writes to the ledger for `use`, or null when it is. */
export function ledgerArgvRefusal(argv: unknown, use: LedgerUse): string | null {
  if (!Array.isArray(argv) || !argv.every((w) => typeof w === 'string')) return 'not a list of words';
  const words = argv as string[];
  if (SHAPES[use].some((shape) => shape.length === words.length && shape.every((w, i) => matches(words[i], w))))
    return null;
  return `only ${SHAPES[use].map(describe).join(', ')} are run from the ledger`;
}

export function assertLedgerArgv(argv: unknown, use: LedgerUse): asserts argv is string[] {
  const refusal = ledgerArgvRefusal(argv, use);
  if (refusal) throw new LedgerArgvError(argv, use, refusal);
}

/**
 * The first command of a lease that would be refused (its revert argv, then its verify argv: the
 * order a revert runs them in), or null when every one is GameDay's own. A lease of a kind whose
 * leases run no argv (ledgerArgv null) runs none of its rows' words.
 */
export function leaseLedgerRefusal(
  lease: Pick<FaultLease, 'kind' | 'revertArgv' | 'verifyArgv'>,
): LedgerArgvError | null {
  if (faultKindDef(lease.kind)?.ledgerArgv === null) return null;
  const uses: [unknown, LedgerUse][] = [
    [lease.revertArgv, 'revert'],
    [lease.verifyArgv ?? [], 'verify'],
  ];
  for (const [list, use] of uses) {
    if (!Array.isArray(list)) return new LedgerArgvError(list, use, 'not a list of commands');
    for (const argv of list as unknown[]) {
      const refusal = ledgerArgvRefusal(argv, use);
      if (refusal) return new LedgerArgvError(argv, use, refusal);
    }
  }
  return null;
}

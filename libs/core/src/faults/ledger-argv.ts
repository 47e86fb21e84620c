/**
 * The reaper and every revert after a crash run argv read back from the lease ledger, as root, in
 * the target's network namespace (nsenter: on the host). A ledger row is data anyone with write
 * access to Postgres can change, so only the commands GameDay itself writes there are run:
 * deleting a qdisc or filter, deleting a link (our IFB), and showing qdiscs and filters as JSON.
 * Anything else (`ip netns exec …`, `tc -batch …`, `sh -c …`) is refused whatever the row says.
 */
export type LedgerUse = 'revert' | 'verify';

const SHAPES: Record<LedgerUse, string[][]> = {
  revert: [
    ['tc', 'qdisc', 'del', 'dev'],
    ['tc', 'filter', 'del', 'dev'],
    ['ip', 'link', 'del'],
  ],
  verify: [
    ['tc', '-j', 'qdisc', 'show', 'dev'],
    ['tc', '-j', 'filter', 'show', 'dev'],
  ],
};

/** words after the fixed prefix: device names, handles, kinds, "root", "parent 1:3"; never an option */
const WORD = /^[A-Za-z0-9_.:/][A-Za-z0-9_.:/-]{0,63}$/;
const MAX_WORDS = 16;

export class LedgerArgvError extends Error {
  constructor(
    readonly argv: unknown,
    readonly use: LedgerUse,
    reason: string,
  ) {
    super(
      `refused to run ${JSON.stringify(argv).slice(0, 200)} from the lease ledger (${use}): ${reason}; GameDay never writes such a command`,
    );
    this.name = 'LedgerArgvError';
  }
}

/** Why `argv` is not a command GameDay writes to the ledger for `use`, or null when it is. */
export function ledgerArgvRefusal(argv: unknown, use: LedgerUse): string | null {
  if (!Array.isArray(argv) || !argv.every((w) => typeof w === 'string')) return 'not a list of words';
  const shape = SHAPES[use].find((prefix) => prefix.every((w, i) => argv[i] === w));
  if (!shape) return `only ${SHAPES[use].map((p) => p.join(' ')).join(', ')} are run from the ledger`;
  const rest = argv.slice(shape.length) as string[];
  if (rest.length === 0 || rest.length > MAX_WORDS) return 'no device or too many words';
  const bad = rest.find((w) => !WORD.test(w));
  return bad === undefined ? null : `"${bad.slice(0, 40)}" is not a device, handle or keyword`;
}

export function assertLedgerArgv(argv: unknown, use: LedgerUse): asserts argv is string[] {
  const refusal = ledgerArgvRefusal(argv, use);
  if (refusal) throw new LedgerArgvError(argv, use, refusal);
}

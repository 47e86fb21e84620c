import { BLACKHOLE_CHAIN, BLACKHOLE_COMMENT, IPTABLES_TOOLS } from './blackhole.compiler';
import type { FaultLease } from './fault-lease';
import { GAMEDAY_ROOT_HANDLE } from './network-fault.compiler';

/**
 * The reaper and every revert after a crash run argv read back from the lease ledger, as root, in
 * the target's network namespace (nsenter: on the host). A ledger row is data anyone with write
 * access to Postgres can change, so only the exact commands GameDay itself writes there are run:
 * deleting our root qdisc (our handle, netem or prio) or our ingress qdisc from a device, deleting
 * our IFB, and showing a device's qdiscs or our filters as JSON; for a blackhole, deleting our two
 * jump rules (by their `gameday:<id>` comment), flushing and deleting our `GAMEDAY-<id>-IN|OUT`
 * chains, and listing the filter table. Anything else (`ip netns exec …`, `tc -batch …`,
 * `sh -c …`, a root qdisc without our handle, another link, another chain, `iptables-restore`) is
 * refused whatever the row says.
 */
export type LedgerUse = 'revert' | 'verify';

/** an interface name (IFNAMSIZ 16 with its NUL), never an option */
const DEVICE = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$/;
/** the IFB devices GameDay creates for ingress faults (DEFAULT_IFB_DEVICE and its numbered kin) */
const OUR_IFB = /^gdifb\d{1,3}$/;
const INGRESS = 'ffff:';
const IPTABLES = IPTABLES_TOOLS;
/** the jump into one of our chains, as the blackhole compiler writes it */
const jump = (hook: string, iface: string): Word[] => [
  hook,
  '!',
  iface,
  'lo',
  '-m',
  'comment',
  '--comment',
  BLACKHOLE_COMMENT,
  '-j',
  BLACKHOLE_CHAIN,
];

type Word = string | RegExp | readonly string[];

/** Every argv shape GameDay writes to the ledger, word by word: a literal, a pattern, or one of a list. */
const SHAPES: Record<LedgerUse, Word[][]> = {
  revert: [
    ['tc', 'qdisc', 'del', 'dev', DEVICE, 'root', 'handle', GAMEDAY_ROOT_HANDLE, ['netem', 'prio']],
    ['tc', 'qdisc', 'del', 'dev', DEVICE, 'handle', INGRESS, 'ingress'],
    ['ip', 'link', 'del', OUR_IFB],
    [IPTABLES, '-w', '-D', ...jump('OUTPUT', '-o')],
    [IPTABLES, '-w', '-D', ...jump('INPUT', '-i')],
    [IPTABLES, '-w', '-F', BLACKHOLE_CHAIN],
    [IPTABLES, '-w', '-X', BLACKHOLE_CHAIN],
  ],
  verify: [
    ['tc', '-j', 'qdisc', 'show', 'dev', DEVICE],
    ['tc', '-j', 'filter', 'show', 'dev', DEVICE, 'parent', [GAMEDAY_ROOT_HANDLE, INGRESS]],
    [IPTABLES, '-w', '-t', 'filter', '-S'],
  ],
};

function matches(word: string, want: Word): boolean {
  if (typeof want === 'string') return word === want;
  if (want instanceof RegExp) return want.test(word);
  return want.includes(word);
}

function describe(shape: Word[]): string {
  return shape
    .map((w) =>
      typeof w === 'string'
        ? w
        : w instanceof RegExp
          ? w === DEVICE
            ? 'DEVICE'
            : w === OUR_IFB
              ? 'gdifbN'
              : w === BLACKHOLE_CHAIN
                ? 'GAMEDAY-ID-IN|OUT'
                : 'gameday:ID'
          : (w as readonly string[]).join('|'),
    )
    .join(' ');
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
 * order a revert runs them in), or null when every one is GameDay's own. Container leases run no
 * argv (their revert is a Docker API call).
 */
export function leaseLedgerRefusal(
  lease: Pick<FaultLease, 'kind' | 'revertArgv' | 'verifyArgv'>,
): LedgerArgvError | null {
  if (lease.kind === 'container') return null;
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

import { BLACKHOLE_CHAIN, BLACKHOLE_COMMENT, IPTABLES_TOOLS } from '../blackhole.compiler';
import { blackholeFaultSchema } from '../blackhole.schema';
import { ledgerPattern, type FaultKindDef, type LedgerWord } from './fault-kind-def';

const CHAIN = ledgerPattern(BLACKHOLE_CHAIN, 'GAMEDAY-ID-IN|OUT');
const COMMENT = ledgerPattern(BLACKHOLE_COMMENT, 'gameday:ID');

/** the jump into one of our chains, as the blackhole compiler writes it */
const jump = (hook: string, iface: string): LedgerWord[] => [
  hook,
  '!',
  iface,
  'lo',
  '-m',
  'comment',
  '--comment',
  COMMENT,
  '-j',
  CHAIN,
];

/**
 * Blackholes run iptables (legacy or nft, never the plain name) in the target's netns. From a
 * row: deleting our two jump rules (by their `gameday:<id>` comment), flushing and deleting our
 * `GAMEDAY-<id>-IN|OUT` chains, and listing the filter table. Never another chain or table, nor
 * `iptables-restore`.
 */
export const blackholeKindDef = {
  name: 'blackhole',
  schema: blackholeFaultSchema,
  ledgerArgv: {
    revert: [
      [IPTABLES_TOOLS, '-w', '-D', ...jump('OUTPUT', '-o')],
      [IPTABLES_TOOLS, '-w', '-D', ...jump('INPUT', '-i')],
      [IPTABLES_TOOLS, '-w', '-F', CHAIN],
      [IPTABLES_TOOLS, '-w', '-X', CHAIN],
    ],
    verify: [[IPTABLES_TOOLS, '-w', '-t', 'filter', '-S']],
  },
} as const satisfies FaultKindDef<'blackhole'>;

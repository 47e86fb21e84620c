import { BLACKHOLE_COMMENT, IPTABLES_TOOLS } from '../blackhole.compiler';
import { DNS_CHAIN } from '../dns.compiler';
import { dnsFaultSchema } from '../dns.schema';
import { ledgerPattern, type FaultKindDef } from './fault-kind-def';

const CHAIN = ledgerPattern(DNS_CHAIN, 'GAMEDAY-ID-DNS');
const COMMENT = ledgerPattern(BLACKHOLE_COMMENT, 'gameday:ID');

/**
 * DNS faults run iptables (legacy or nft) on the nat table in the target's netns, and the helper's
 * own dns commands. From a row: deleting our jump from nat OUTPUT (by its `gameday:<id>` comment),
 * flushing and deleting our `GAMEDAY-<id>-DNS` chain, stopping the resolver (and dropping the
 * port-53 flows it was sent), and reading the nat table and the resolver back. Never another
 * chain or table, nor `iptables-restore`.
 */
export const dnsKindDef = {
  name: 'dns',
  schema: dnsFaultSchema,
  ledgerArgv: {
    revert: [
      [IPTABLES_TOOLS, '-w', '-t', 'nat', '-D', 'OUTPUT', '-m', 'comment', '--comment', COMMENT, '-j', CHAIN],
      [IPTABLES_TOOLS, '-w', '-t', 'nat', '-F', CHAIN],
      [IPTABLES_TOOLS, '-w', '-t', 'nat', '-X', CHAIN],
      ['gameday-helper', 'dnsstop'],
    ],
    verify: [
      [IPTABLES_TOOLS, '-w', '-t', 'nat', '-S'],
      ['gameday-helper', 'dnscheck'],
    ],
  },
} as const satisfies FaultKindDef<'dns'>;

import { BLACKHOLE_COMMENT, BLACKHOLE_ID, IPTABLES_TOOLS, type IptablesTool } from './blackhole.compiler';
import type { DnsFaultSpec } from './dns.schema';
import type { VerifyOutcome } from './qdisc-verify';

/**
 * DNS spec → the resolver's configuration and the iptables nat rules that send the target's DNS
 * queries to it. The resolver (dnsdist, started by the helper when the fault is armed, as uid
 * DNS_RESOLVER_UID, on 127.0.0.1:<port>) answers the matching names as asked and forwards the rest
 * to the target's own nameservers. At T0 the helper puts the rules in: a chain of our own
 * (`GAMEDAY-<id>-DNS`) jumped to first from nat OUTPUT, in which the resolver's own queries
 * RETURN and every other query to a nameserver is REDIRECTed to the resolver. Docker's own nat
 * rules (its embedded DNS at 127.0.0.11) are never touched: our jump comes first, and the resolver's
 * queries go on to them.
 */

/** The resolver's uid: its own queries to the nameservers are told apart by it (owner match). */
export const DNS_RESOLVER_UID = 53530;
export const DNS_CHAIN = /^GAMEDAY-[0-9a-f]{8}-DNS$/;
/** The resolver listens on an unprivileged port the helper found free when armed. */
export const DNS_PORT_MIN = 20000;
export const DNS_PORT_MAX = 60999;

export interface DnsExpected {
  tool: IptablesTool;
  chain: string;
  port: number;
  /** The lines `iptables -t nat -S` prints for what we added (double quotes removed), in order. */
  lines: string[];
}

export interface CompiledDns {
  id: string;
  tool: IptablesTool;
  port: number;
  nameservers: string[];
  /** The resolver's configuration, exactly as the helper writes it from `start`'s words. */
  config: string;
  /** The helper command that writes the configuration and starts the resolver (arming, not T0). */
  start: string[];
  apply: string[][];
  undo: (string[] | null)[];
  revert: string[][];
  verify: string[][];
  expected: DnsExpected;
  warnings: string[];
}

const ACTION_LUA: Record<DnsFaultSpec['action'], (spec: DnsFaultSpec) => string> = {
  nxdomain: () => 'RCodeAction(DNSRCode.NXDOMAIN)',
  servfail: () => 'RCodeAction(DNSRCode.SERVFAIL)',
  timeout: () => 'DropAction()',
  delay: (s) => `DelayAction(${s.delayMs!})`,
  address: (s) => `SpoofAction({${s.addresses!.map((a) => `'${a.toLowerCase()}'`).join(', ')}})`,
};

const isIpv6 = (a: string) => a.includes(':');

/** A pattern as the rule that matches it: the name and below, or only below (`*.`). */
function patternLua(pattern: string): string {
  const p = pattern.toLowerCase();
  return p.startsWith('*.') ? `below('${p.slice(2)}')` : `within('${p}')`;
}

/**
 * The dnsdist configuration (Lua). Every word comes from the validated spec (strict charsets, no
 * quote can occur in them) and numbers are emitted as numbers; gameday-helper dnsstart writes the
 * same text from the same words, checked again.
 */
export function dnsdistConfig(
  spec: Pick<DnsFaultSpec, 'names' | 'action' | 'delayMs' | 'addresses'>,
  options: { id: string; port: number; nameservers: string[] },
): string {
  return [
    `-- gameday dns fault ${options.id}`,
    `setLocal('127.0.0.1:${options.port}')`,
    `setACL({'0.0.0.0/0', '::/0'})`,
    `setSecurityPollSuffix('')`,
    ...options.nameservers.map((ns) => `newServer({address='${isIpv6(ns) ? `[${ns}]` : ns}:53'}):setUp()`),
    'local function within(n) local s = newSuffixMatchNode() s:add(n) return SuffixMatchNodeRule(s, true) end',
    'local function below(n) return AndRule({within(n), NotRule(QNameRule(n))}) end',
    `addAction(OrRule({${spec.names.map(patternLua).join(', ')}}), ${ACTION_LUA[spec.action](spec as DnsFaultSpec)})`,
    '',
  ].join('\n');
}

export function compileDns(
  spec: DnsFaultSpec,
  options: { id: string; tool: IptablesTool; port: number; nameservers: string[] },
): CompiledDns {
  const { id, tool, port } = options;
  if (!BLACKHOLE_ID.test(id)) throw new Error(`dns id must be 8 hex digits, got ${JSON.stringify(id)}`);
  if (!IPTABLES_TOOLS.includes(tool)) throw new Error(`unknown iptables tool ${JSON.stringify(tool)}`);
  if (!Number.isInteger(port) || port < DNS_PORT_MIN || port > DNS_PORT_MAX)
    throw new Error(`the resolver's port must be ${DNS_PORT_MIN}-${DNS_PORT_MAX}, got ${port}`);
  const v4 = options.nameservers.filter((ns) => /^\d{1,3}(\.\d{1,3}){3}$/.test(ns));
  const other = options.nameservers.filter((ns) => !v4.includes(ns));
  if (other.some((ns) => !/^[0-9a-fA-F:]+$/.test(ns)))
    throw new Error(`nameservers must be IP addresses, got ${JSON.stringify(other)}`);
  if (v4.length === 0)
    throw new Error(
      `the target has no IPv4 nameserver in its /etc/resolv.conf (${options.nameservers.join(', ') || 'none'}): nothing to redirect`,
    );
  const nat = (...w: string[]) => [tool, '-w', '-t', 'nat', ...w];
  const chain = `GAMEDAY-${id}-DNS`;
  const comment = `gameday:${id}`;
  const rules: string[][] = [
    ['-m', 'owner', '--uid-owner', String(DNS_RESOLVER_UID), '-j', 'RETURN'],
    ...v4.flatMap((ns) =>
      ['udp', 'tcp'].map((p) => [
        '-d',
        `${ns}/32`,
        '-p',
        p,
        '-m',
        p,
        '--dport',
        '53',
        '-j',
        'REDIRECT',
        '--to-ports',
        String(port),
      ]),
    ),
  ];
  const jump = ['-m', 'comment', '--comment', comment, '-j', chain];
  const ready = ['gameday-helper', 'dnsready'];
  const stop = ['gameday-helper', 'dnsstop'];
  const flush = ['gameday-helper', 'dnsflush'];
  // first the resolver must be up (its undo, run last, stops it and flushes the port-53 flows
  // the window redirected); last the port-53 flows from before T0 go, or they would bypass the rules
  const apply = [
    ready,
    nat('-N', chain),
    ...rules.map((r) => nat('-A', chain, ...r)),
    nat('-I', 'OUTPUT', '1', ...jump),
    flush,
  ];
  const undo = [stop, nat('-X', chain), ...rules.map(() => nat('-F', chain)), nat('-D', 'OUTPUT', ...jump), null];
  const addresses = spec.addresses ?? [];
  const start = [
    'gameday-helper',
    'dnsstart',
    id,
    String(port),
    spec.action,
    String(spec.delayMs ?? 0),
    String(options.nameservers.length),
    ...options.nameservers,
    String(addresses.length),
    ...addresses.map((a) => a.toLowerCase()),
    ...spec.names.map((n) => n.toLowerCase()),
  ];
  const warnings: string[] = [];
  if (other.length)
    warnings.push(`IPv6 nameservers (${other.join(', ')}) are forwarded to but their queries are not redirected`);
  if (spec.action === 'delay') warnings.push('delay applies to queries over UDP; TCP queries are answered at once');
  return {
    id,
    tool,
    port,
    nameservers: options.nameservers,
    config: dnsdistConfig(spec, options),
    start,
    apply,
    undo,
    revert: [nat('-D', 'OUTPUT', ...jump), nat('-F', chain), nat('-X', chain), stop],
    verify: [nat('-S'), ['gameday-helper', 'dnscheck']],
    expected: {
      tool,
      chain,
      port,
      lines: [`-N ${chain}`, ['-A', 'OUTPUT', ...jump].join(' '), ...rules.map((r) => ['-A', chain, ...r].join(' '))],
    },
    warnings,
  };
}

/** `iptables -S` lines that name our chain, double quotes removed. */
function ours(output: string, chain: string): string[] {
  return output
    .split('\n')
    .map((l) => l.replace(/"/g, '').trim())
    .filter((l) => l.split(' ').includes(chain));
}

/**
 * Compares `iptables -t nat -S` and `gameday-helper dnscheck` with the fault: every line of ours in
 * place (the jump first in OUTPUT, our rules in order), nothing else of ours, and the resolver
 * alive and answering.
 */
export function verifyDns(expected: DnsExpected, natOutput: string, checkOutput: string): VerifyOutcome {
  const got = ours(natOutput, expected.chain);
  const reasons: string[] = [];
  for (const line of expected.lines) if (!got.includes(line)) reasons.push(`missing: ${line}`);
  for (const line of got) if (!expected.lines.includes(line)) reasons.push(`unexpected: ${line}`);
  const firstOutput = natOutput
    .split('\n')
    .map((l) => l.replace(/"/g, '').trim())
    .find((l) => l.startsWith('-A OUTPUT '));
  if (reasons.length === 0 && firstOutput !== expected.lines[1])
    reasons.push(`our jump is not the first rule of nat OUTPUT (first: ${firstOutput ?? 'none'})`);
  const rulesGot = got.filter((l) => l.startsWith(`-A ${expected.chain} `)).join('\n');
  if (reasons.length === 0 && rulesGot !== expected.lines.slice(2).join('\n'))
    reasons.push(`the rules of ${expected.chain} are out of order`);
  if (!/^dns_resolver=alive$/m.test(checkOutput)) reasons.push('the resolver is not running');
  else if (!/^dns_answer=ok$/m.test(checkOutput)) reasons.push('the resolver did not answer a probe query');
  return reasons.length ? { ok: false, reasons } : { ok: true };
}

/** After a revert: none of our chain, rules or jump is left in the nat table. */
export function verifyDnsReverted(expected: DnsExpected, natOutput: string): VerifyOutcome {
  const left = ours(natOutput, expected.chain);
  return left.length ? { ok: false, reasons: left.map((l) => `left behind: ${l}`) } : { ok: true };
}

export { BLACKHOLE_COMMENT as DNS_COMMENT };

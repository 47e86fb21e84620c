import type { BlackholeFaultSpec } from './blackhole.schema';

/**
 * A blackhole's `resetEstablished`: the argv that destroys, in the target's netns, the established
 * TCP connections its rules match (`ss -K`, the kernel's SOCK_DESTROY: the local socket fails at
 * once with ECONNABORTED and the kernel sends the peer a reset). Run by the helper right after
 * the rules are in, so the client cannot reconnect in between. A socket's remote end is the peer
 * whichever side opened the connection, so one filter serves every direction: remote address
 * among the peers, remote port among `ports`, local port among `localPorts`. It prints each
 * socket it destroyed, one a line (-H: no header): the count the helper records. At T0 the
 * helper's timer reads this argv as its filter and does the same through sock_diag in its own
 * process (no process started after the instant); an apply now runs ss itself.
 */

/** `5432` → `dport = :5432`; `"8000-8100"` → `( dport >= :8000 and dport <= :8100 )` */
function portWords(which: 'dport' | 'sport', port: number | string): string[] {
  if (typeof port === 'number') return [which, '=', `:${port}`];
  const [a, b] = port.split('-');
  return ['(', which, '>=', `:${a}`, 'and', which, '<=', `:${b}`, ')'];
}

/** `( X or Y or Z )` */
function anyOf(terms: string[][]): string[] {
  return ['(', ...terms.flatMap((t, i) => (i === 0 ? t : ['or', ...t])), ')'];
}

/**
 * The `ss -K` argv for the connections a blackhole matches. `peers`: the rules' canonical CIDRs
 * (a /0 removed: any address); none means any peer except loopback, which the rules never touch.
 */
export function blackholeResetArgv(
  spec: Pick<BlackholeFaultSpec, 'ports' | 'localPorts'>,
  peers: string[] | undefined,
): string[] {
  const clauses: string[][] = [];
  if (peers && peers.length > 0) clauses.push(anyOf(peers.map((p) => ['dst', p])));
  else clauses.push(['not', 'dst', '127.0.0.0/8']);
  if (spec.ports) clauses.push(anyOf(spec.ports.map((p) => portWords('dport', p))));
  if (spec.localPorts) clauses.push(anyOf(spec.localPorts.map((p) => portWords('sport', p))));
  return [
    'ss',
    '-K',
    '-H',
    '-t',
    '-n',
    'state',
    'established',
    ...clauses.flatMap((c, i) => (i === 0 ? c : ['and', ...c])),
  ];
}

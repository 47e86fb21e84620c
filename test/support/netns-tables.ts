import { execFileSync } from 'node:child_process';

/** Runs argv on this host inside a container's network namespace (its SandboxKey). */
export const inSandbox = (sandbox: string, argv: string[]): string =>
  execFileSync('nsenter', [`--net=${sandbox}`, '--', ...argv], { encoding: 'utf8' });

/**
 * Every table of both iptables variants in a netns, without timestamps and packet counters: what a
 * revert must leave as it found. The first use of iptables-legacy in a netns instantiates its
 * (empty, all-ACCEPT) filter table, which the kernel never unregisters: that table counts as
 * absent while it holds nothing.
 */
export function netnsTables(sandbox: string): string {
  const EMPTY_FILTER = '*filter\n:INPUT ACCEPT []\n:FORWARD ACCEPT []\n:OUTPUT ACCEPT []\nCOMMIT\n';
  return ['iptables-legacy-save', 'iptables-nft-save']
    .map((save) =>
      inSandbox(sandbox, [save])
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.replace(/\[\d+:\d+\]/g, '[]'))
        .join('\n')
        .replace(EMPTY_FILTER, ''),
    )
    .join('\n---\n');
}

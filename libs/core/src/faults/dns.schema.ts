import { z } from 'zod';
import { targetSchema } from './target.schema';

/**
 * The DNS fault: queries of the target for names matching a pattern are answered by a resolver the
 * helper runs in the target's netns (NXDOMAIN, SERVFAIL, no answer, the real answer late, or the
 * given addresses); every other name is forwarded to the target's own nameservers. Every value
 * ends up in the resolver's configuration or an iptables word, so each field takes a strict
 * charset only (the helper checks the words again).
 *
 * Patterns: `service2` matches `service2` and every name below it (`a.service2`); `*.example.com`
 * matches only names below `example.com`. Case-insensitive; no trailing dot (names are absolute).
 */

export const DNS_ACTIONS = ['nxdomain', 'servfail', 'timeout', 'delay', 'address'] as const;
export type DnsAction = (typeof DNS_ACTIONS)[number];

export const DNS_MAX_PATTERNS = 32;
export const DNS_MAX_ADDRESSES = 8;

/** Labels of letters, digits, `-` and `_`, dot-separated, optionally after a leading `*.`. */
export const DNS_PATTERN = /^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const LABEL_MAX = 63;

export const dnsPatternSchema = z
  .string()
  .min(1, 'a name pattern must not be empty')
  .max(253, 'a name pattern is at most 253 characters')
  .superRefine((v, ctx) => {
    if (!DNS_PATTERN.test(v)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'a name pattern is labels of letters, digits, "-" and "_" joined by single dots (no empty label, no trailing dot), optionally after a leading "*."',
      });
      return;
    }
    const long = v
      .replace(/^\*\./, '')
      .split('.')
      .find((l) => l.length > LABEL_MAX);
    if (long) ctx.addIssue({ code: 'custom', message: `the label "${long.slice(0, 20)}..." is longer than 63` });
  });

const isIp = (v: string) => z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success;

export const dnsFaultSchema = z
  .strictObject({
    kind: z.literal('dns'),
    target: targetSchema,
    /** The names whose queries fail as asked (see the patterns above). */
    names: z
      .array(dnsPatternSchema)
      .min(1, 'names must name at least one pattern')
      .max(DNS_MAX_PATTERNS, `at most ${DNS_MAX_PATTERNS} name patterns`),
    /**
     * nxdomain / servfail: that answer code; timeout: no answer at all; delay: the real answer
     * `delayMs` late (UDP queries; TCP ones are answered at once); address: the given addresses.
     */
    action: z.enum(DNS_ACTIONS),
    delayMs: z
      .number()
      .int('delayMs is whole milliseconds')
      .min(1, 'delayMs is 1-30000')
      .max(30000, 'delayMs is 1-30000')
      .optional(),
    /** IPv4 addresses answer A queries and IPv6 ones AAAA queries. */
    addresses: z
      .array(z.string().refine(isIp, 'an address is an IPv4 or IPv6 address, e.g. "10.0.0.5" or "fd00::5"'))
      .min(1, 'addresses must not be empty when given')
      .max(DNS_MAX_ADDRESSES, `at most ${DNS_MAX_ADDRESSES} addresses`)
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.action === 'delay' && v.delayMs === undefined)
      ctx.addIssue({ code: 'custom', path: ['delayMs'], message: 'delayMs is required for action "delay"' });
    if (v.action !== 'delay' && v.delayMs !== undefined)
      ctx.addIssue({ code: 'custom', path: ['delayMs'], message: 'delayMs is only allowed with action "delay"' });
    if (v.action === 'address' && v.addresses === undefined)
      ctx.addIssue({ code: 'custom', path: ['addresses'], message: 'addresses are required for action "address"' });
    if (v.action !== 'address' && v.addresses !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['addresses'],
        message: 'addresses are only allowed with action "address"',
      });
  });

export type DnsFaultSpec = z.infer<typeof dnsFaultSchema>;

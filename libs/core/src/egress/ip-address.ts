/** IPv4/IPv6 text → family and numeric value, pure (no node:net), for CIDR matching. */
export interface IpValue {
  family: 4 | 6;
  value: bigint;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): bigint | undefined {
  const m = V4.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function parseV6(text: string): bigint | undefined {
  let t = text.toLowerCase().replace(/%.*$/, '');
  let tail: bigint | undefined;
  const lastColon = t.lastIndexOf(':');
  if (t.includes('.')) {
    tail = parseV4(t.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    t = `${t.slice(0, lastColon + 1)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

const LOW32 = 0xffffffffn;
// prefixes of the forms below, shifted right by the bits they leave to the address
/** ::ffff:0:0/96, IPv4-mapped: the socket API connects to the IPv4 address */
const MAPPED = 0xffffn;
/** ::ffff:0:0:0/96, IPv4-translated (SIIT, RFC 2765): a translator delivers it over IPv4 */
const TRANSLATED = 0xffff0000n;
/** 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052) */
const NAT64 = 0x64ff9b_0000_0000_0000_0000n;
/** 64:ff9b:1::/48, the NAT64 local-use prefix (RFC 8215) */
const NAT64_LOCAL = 0x64ff9b_0001n;

/** bits [start, start+len) of an IPv6 value, bit 0 the most significant */
function bits(v6: bigint, start: number, len: number): bigint {
  return (v6 >> BigInt(128 - start - len)) & ((1n << BigInt(len)) - 1n);
}

/**
 * The IPv4 address an IPv6 address delivers to, when it embeds one: IPv4-mapped, IPv4-translated,
 * IPv4-compatible (`::a.b.c.d`, deprecated; `::` and `::1` are IPv6's own) and NAT64 (well-known
 * and local-use prefixes, the /96 layout). 6to4 (2002::/16) and Teredo (2001::/32) are not
 * decoded on purpose: the IPv4 address they embed is a tunnel end point that receives
 * encapsulated IPv6 (protocol 41 / UDP 3544), not a TCP connection to the port asked for, and a
 * 6to4 address of this host itself is an address of this host, found as such by the caller.
 */
function embeddedIpv4(v6: bigint): bigint | undefined {
  const high96 = v6 >> 32n;
  if (high96 === MAPPED || high96 === TRANSLATED || high96 === NAT64) return v6 & LOW32;
  if (high96 === 0n && v6 > 1n) return v6;
  if (v6 >> 80n === NAT64_LOCAL) return v6 & LOW32;
  return undefined;
}

/**
 * Parses an address; an IPv6 form that embeds an IPv4 address (see embeddedIpv4) is returned as
 * that IPv4 address, so `::ffff:169.254.169.254` or `64:ff9b::a9fe:a9fe` cannot slip past an
 * IPv4 rule. Brackets are accepted.
 */
export function parseIp(text: string): IpValue | undefined {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseV4(t);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!t.includes(':')) return undefined;
  const v6 = parseV6(t);
  if (v6 === undefined) return undefined;
  const embedded = embeddedIpv4(v6);
  return embedded === undefined ? { family: 6, value: v6 } : { family: 4, value: embedded };
}

/**
 * Every address a connection to `text` may be delivered to: the parsed address and, in the
 * NAT64 local-use prefix, the IPv4 address of each other RFC 6052 layout (/48, /56, /64) a
 * network may have chosen, which this host cannot know. Deny rules look at all of them (a false
 * refusal there is a probe to an odd address; a false pass is the metadata service).
 */
export function ipForms(text: string): IpValue[] {
  const ip = parseIp(text);
  if (!ip) return [];
  const t = text.replace(/^\[|\]$/g, '');
  const v6 = t.includes(':') ? parseV6(t) : undefined;
  // the other layouts need the "u" octet (bits 64-71) to be zero
  if (v6 === undefined || v6 >> 80n !== NAT64_LOCAL || bits(v6, 64, 8) !== 0n) return [ip];
  const layouts = [
    (bits(v6, 48, 16) << 16n) | bits(v6, 72, 16),
    (bits(v6, 56, 8) << 24n) | bits(v6, 72, 24),
    bits(v6, 72, 32),
  ];
  const alternates = [...new Set(layouts)].filter((v) => v !== ip.value);
  return [ip, ...alternates.map((value) => ({ family: 4 as const, value }))];
}

/** Text of a parsed address (IPv6 uncompressed: only for messages). */
export function formatIp(ip: IpValue): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => (ip.value >> s) & 0xffn).join('.');
  return Array.from({ length: 8 }, (_, i) => bits(ip.value, i * 16, 16).toString(16)).join(':');
}

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr, bitsText, ...more] = text.split('/');
  if (more.length) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  // an embedding IPv6 prefix (::ffff:10.0.0.0/104, 64:ff9b::/96) is the IPv4 range it embeds
  const embeddedV6 = ip.family === 4 && addr.includes(':');
  const bits = bitsText === undefined ? max : Number(bitsText) - (embeddedV6 ? 96 : 0);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)))
    return undefined;
  const shift = BigInt(max - bits);
  return { family: ip.family, base: (ip.value >> shift) << shift, bits };
}

export function cidrContains(cidr: Cidr, ip: IpValue): boolean {
  if (cidr.family !== ip.family) return false;
  const shift = BigInt((ip.family === 4 ? 32 : 128) - cidr.bits);
  return ip.value >> shift === cidr.base >> shift;
}

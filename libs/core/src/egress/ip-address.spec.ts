import { cidrContains, formatIp, ipForms, parseCidr, parseIp } from './ip-address';

const v4 = (text: string) => formatIp(parseIp(text)!);

describe('ip addresses', () => {
  it.each([
    ['IPv4', '169.254.169.254', '169.254.169.254'],
    ['IPv4-mapped', '::ffff:169.254.169.254', '169.254.169.254'],
    ['IPv4-mapped, hex, bracketed', '[::FFFF:a9fe:a9fe]', '169.254.169.254'],
    ['IPv4-translated', '::ffff:0:10.1.2.3', '10.1.2.3'],
    ['IPv4-compatible', '::10.1.2.3', '10.1.2.3'],
    ['IPv4-compatible, hex', '::a01:203', '10.1.2.3'],
    ['IPv4-compatible, smallest', '::2', '0.0.0.2'],
    ['NAT64 well-known', '64:ff9b::10.1.2.3', '10.1.2.3'],
    ['NAT64 well-known, uncompressed', '0064:ff9b:0000:0000:0000:0000:0a01:0203', '10.1.2.3'],
    ['NAT64 local-use', '64:ff9b:1::10.1.2.3', '10.1.2.3'],
    ['NAT64 local-use, in a subnet', '64:ff9b:1:ffff:ffff:ffff:a01:203', '10.1.2.3'],
  ])('%s %s is the IPv4 address %s', (_label, text, expected) => {
    expect(parseIp(text)?.family).toBe(4);
    expect(v4(text)).toBe(expected);
  });

  it.each([
    ['unspecified', '::'],
    ['loopback', '::1'],
    ['6to4', '2002:a9fe:a9fe::1'],
    ['Teredo', '2001:0:a9fe:a9fe::1'],
    ['next to the NAT64 prefix', '64:ff9c::a01:203'],
    ['next to the local-use prefix', '64:ff9b:2::a01:203'],
    ['ULA', 'fd00:ec2::254'],
  ])('%s %s stays IPv6', (_label, text) => {
    expect(parseIp(text)?.family).toBe(6);
  });

  it('NAT64 local-use: every RFC 6052 layout is a form (the network chose one this host cannot know)', () => {
    const forms = (text: string) => ipForms(text).map(formatIp);
    expect(forms('64:ff9b:1:a9fe:a9:fe00::')).toEqual(['0.0.0.0', '169.254.169.254', '254.169.254.0', '169.254.0.0']);
    expect(forms('64:ff9b:1:a9:fe:a9fe::')).toContain('169.254.169.254');
    expect(forms('64:ff9b:1:0:a9:fea9:fe00:0')).toContain('169.254.169.254');
    // a non-zero "u" octet (bits 64-71) rules the shorter layouts out
    expect(forms('64:ff9b:1:a9fe:ffa9:fe00::')).toEqual(['0.0.0.0']);
    expect(forms('64:ff9b::a9fe:a9fe')).toEqual(['169.254.169.254']);
    expect(forms('10.1.2.3')).toEqual(['10.1.2.3']);
    expect(ipForms('not an address')).toEqual([]);
  });

  it('rejects what is not an address', () => {
    expect(parseIp('1.2.3.256')).toBeUndefined();
    expect(parseIp('1::2::3')).toBeUndefined();
    expect(parseIp('::ffff:1.2.3')).toBeUndefined();
    expect(parseIp('example.com')).toBeUndefined();
  });

  it('an embedding IPv6 prefix is the IPv4 range it embeds', () => {
    expect(parseCidr('64:ff9b::/96')).toEqual(parseCidr('0.0.0.0/0'));
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual(parseCidr('10.0.0.0/8'));
    expect(cidrContains(parseCidr('10.0.0.0/8')!, parseIp('64:ff9b::10.9.9.9')!)).toBe(true);
    expect(parseCidr('::/0')).toEqual({ family: 6, base: 0n, bits: 0 });
  });
});

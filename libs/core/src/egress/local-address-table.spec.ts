import { cidrContains, type Cidr, formatIp, parseIp } from './ip-address';
import { addressesFromIfInet6, localRangesFromFibTrie, localRangesFromIpv6Route } from './local-address-table';

const shown = (cidrs: Cidr[]) => cidrs.map((c) => `${formatIp({ family: c.family, value: c.base })}/${c.bits}`);

// read on a Linux host with docker0 down (no container) and a bridge added but never set up
const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.250.0.0/24 2 0 2
        |-- 10.250.0.0
           /24 link UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     +-- 10.250.0.0/24 2 0 2
        |-- 10.250.0.1
           /32 host LOCAL
        |-- 10.250.0.255
           /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
     +-- 172.17.0.0/16 2 0 2
        +-- 172.17.0.0/31 1 0 0
           |-- 172.17.0.0
              /16 link UNICAST
           |-- 172.17.0.1
              /32 host LOCAL
     |-- 192.0.2.2
        /32 host LOCAL
        /32 link BROADCAST tos=8
`;

const IF_INET6 = `fe8000000000000000fc00fffe000001 04 40 20 80     eth0
fd000000000000000000000000000002 04 40 00 82     eth0
00000000000000000000000000000001 01 80 10 80       lo
fd990250000000000000000000000001 06 40 00 c0  gdtest0
`;

const IPV6_ROUTE = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
fd000000000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000003 00000000 80200001     eth0
fd000000000000000000000000000000 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000001 00000000 00100001     eth0
20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000001 00000000 80200001       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;

describe("the kernel's local address tables", () => {
  it('fib_trie: every LOCAL prefix, those of interfaces that are down included', () => {
    const ranges = localRangesFromFibTrie(FIB_TRIE);
    expect([...new Set(shown(ranges))].sort()).toEqual([
      '10.250.0.1/32',
      '127.0.0.0/8',
      '127.0.0.1/32',
      '172.17.0.1/32',
      '192.0.2.2/32',
    ]);
    const local = (a: string) => ranges.some((c) => cidrContains(c, parseIp(a)!));
    expect(local('127.3.4.5')).toBe(true);
    expect(local('10.250.0.2')).toBe(false);
    expect(local('172.17.0.2')).toBe(false);
  });

  it('if_inet6: every assigned address, up or down', () => {
    expect(shown(addressesFromIfInet6(IF_INET6))).toEqual([
      'fe80:0:0:0:fc:ff:fe00:1/128',
      'fd00:0:0:0:0:0:0:2/128',
      '0:0:0:0:0:0:0:1/128',
      'fd99:250:0:0:0:0:0:1/128',
    ]);
  });

  it('ipv6_route: local and anycast routes only', () => {
    expect(shown(localRangesFromIpv6Route(IPV6_ROUTE))).toEqual([
      '0:0:0:0:0:0:0:1/128',
      'fd00:0:0:0:0:0:0:2/128',
      'fd00:0:0:0:0:0:0:0/128',
      '2001:db8:0:0:0:0:0:0/64',
    ]);
  });

  it('ignores what it does not understand', () => {
    expect(localRangesFromFibTrie('garbage\n  /32 host LOCAL\n')).toEqual([]);
    expect(addressesFromIfInet6('zz 01\n\n')).toEqual([]);
    expect(localRangesFromIpv6Route('short line\n')).toEqual([]);
  });
});

import { faultSchema } from './fault.schema';

const base = { kind: 'dns', target: { container: 'svc' } };
function issues(input: unknown): string[] {
  const r = faultSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('dns spec', () => {
  it.each([
    ['nxdomain for a name and a wildcard', { names: ['service2', '*.example.com'], action: 'nxdomain' }],
    ['servfail, mixed case and underscores', { names: ['_srv._tcp.Shop-DB'], action: 'servfail' }],
    ['timeout', { names: ['db'], action: 'timeout' }],
    ['a delay', { names: ['db'], action: 'delay', delayMs: 30000 }],
    ['addresses of both families', { names: ['db'], action: 'address', addresses: ['10.0.0.5', 'fd00::5'] }],
    ['32 patterns', { names: Array.from({ length: 32 }, (_, i) => `n${i}`), action: 'nxdomain' }],
    ['a 253-character pattern', { names: [`${'a'.repeat(63)}.`.repeat(3) + 'b'.repeat(61)], action: 'nxdomain' }],
  ])('accepts %s', (_what, extra) => {
    expect(issues({ ...base, ...extra })).toEqual([]);
  });

  const CHARSET =
    'a name pattern is labels of letters, digits, "-" and "_" joined by single dots (no empty label, no trailing dot), optionally after a leading "*."';
  it.each([
    ['no names', { names: [], action: 'nxdomain' }, 'names: names must name at least one pattern'],
    [
      '33 names',
      { names: Array.from({ length: 33 }, (_, i) => `n${i}`), action: 'nxdomain' },
      'names: at most 32 name patterns',
    ],
    ['an empty pattern', { names: ['ok', ''], action: 'nxdomain' }, 'names.1: a name pattern must not be empty'],
    ['a shell word', { names: ['a;reboot'], action: 'nxdomain' }, `names.0: ${CHARSET}`],
    ['a Lua quote', { names: ["a')os.execute('x"], action: 'nxdomain' }, `names.0: ${CHARSET}`],
    ['an empty label', { names: ['a..b'], action: 'nxdomain' }, `names.0: ${CHARSET}`],
    ['a trailing dot', { names: ['a.b.'], action: 'nxdomain' }, `names.0: ${CHARSET}`],
    ['a star inside', { names: ['a.*.b'], action: 'nxdomain' }, `names.0: ${CHARSET}`],
    ['a bare star', { names: ['*'], action: 'nxdomain' }, `names.0: ${CHARSET}`],
    ['a space', { names: ['a b'], action: 'nxdomain' }, `names.0: ${CHARSET}`],
    [
      '254 characters',
      {
        names: [
          'a'.repeat(60) + '.' + 'b'.repeat(60) + '.' + 'c'.repeat(60) + '.' + 'd'.repeat(60) + '.' + 'e'.repeat(10),
        ],
        action: 'nxdomain',
      },
      'names.0: a name pattern is at most 253 characters',
    ],
    [
      'a 64-character label',
      { names: ['x.' + 'a'.repeat(64)], action: 'nxdomain' },
      `names.0: the label "${'a'.repeat(20)}..." is longer than 63`,
    ],
    ['an unknown action', { names: ['db'], action: 'refuse' }, expect.stringMatching(/^action: /)],
    ['delay without delayMs', { names: ['db'], action: 'delay' }, 'delayMs: delayMs is required for action "delay"'],
    [
      'delayMs with another action',
      { names: ['db'], action: 'nxdomain', delayMs: 5 },
      'delayMs: delayMs is only allowed with action "delay"',
    ],
    ['delayMs 0', { names: ['db'], action: 'delay', delayMs: 0 }, 'delayMs: delayMs is 1-30000'],
    ['delayMs 30001', { names: ['db'], action: 'delay', delayMs: 30001 }, 'delayMs: delayMs is 1-30000'],
    ['delayMs fractional', { names: ['db'], action: 'delay', delayMs: 1.5 }, 'delayMs: delayMs is whole milliseconds'],
    [
      'address without addresses',
      { names: ['db'], action: 'address' },
      'addresses: addresses are required for action "address"',
    ],
    [
      'addresses with another action',
      { names: ['db'], action: 'timeout', addresses: ['10.0.0.1'] },
      'addresses: addresses are only allowed with action "address"',
    ],
    [
      'no addresses',
      { names: ['db'], action: 'address', addresses: [] },
      'addresses: addresses must not be empty when given',
    ],
    [
      '9 addresses',
      { names: ['db'], action: 'address', addresses: Array.from({ length: 9 }, (_, i) => `10.0.0.${i}`) },
      'addresses: at most 8 addresses',
    ],
    [
      'a hostname as address',
      { names: ['db'], action: 'address', addresses: ['db.local'] },
      'addresses.0: an address is an IPv4 or IPv6 address, e.g. "10.0.0.5" or "fd00::5"',
    ],
    [
      'a CIDR as address',
      { names: ['db'], action: 'address', addresses: ['10.0.0.0/8'] },
      'addresses.0: an address is an IPv4 or IPv6 address, e.g. "10.0.0.5" or "fd00::5"',
    ],
    ['an unknown field', { names: ['db'], action: 'timeout', port: 53 }, expect.stringMatching(/port/)],
  ])('refuses %s, naming the field', (_what, extra, message) => {
    expect(issues({ ...base, ...extra })).toContainEqual(message);
  });
});

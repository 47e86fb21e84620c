import { leaseDetailsOf } from './fault-lease';

describe("a lease's details as read back", () => {
  it('keeps a row of this version as it is', () => {
    const row = { kindPart: { expected: { devices: ['eth0'] } }, selfExpiryAt: '2030-01-01T00:00:00.000Z', step: 'a' };
    expect(leaseDetailsOf(row)).toBe(row);
    expect(leaseDetailsOf({ kindPart: {} })).toEqual({ kindPart: {} });
  });

  it("moves the kind's fields of a row of the previous version into its part, under the same names", () => {
    expect(
      leaseDetailsOf({
        action: 'pause',
        watchdog: { armingId: 'n' },
        clockCorrectionMs: 3,
        abortNonce: '0123456789abcdef',
        step: 'b',
      }),
    ).toEqual({
      kindPart: { action: 'pause', watchdog: { armingId: 'n' } },
      clockCorrectionMs: 3,
      abortNonce: '0123456789abcdef',
      step: 'b',
    });
    // every common field stays where it is: a kind's part of nothing is an empty one
    const common = {
      selfExpiryAt: 's',
      applyAt: 'a',
      revertAt: 'r',
      clockCorrectionMs: 0,
      abortNonce: 'n',
      warnings: ['w'],
      step: 'x',
      netnsInode: 'net:[1]',
    };
    expect(leaseDetailsOf(common)).toEqual({ ...common, kindPart: {} });
  });

  it('reads no details from a row without an object there', () => {
    expect(leaseDetailsOf(null)).toBeNull();
    expect(leaseDetailsOf(undefined)).toBeNull();
    expect(leaseDetailsOf('x')).toBeNull();
    expect(leaseDetailsOf([1])).toBeNull();
  });

  it("takes a field named like an object's own (a row is data) as the kind's, never as a prototype", () => {
    const read = leaseDetailsOf(JSON.parse('{"__proto__": {"step": "forged"}, "constructor": 1}'))!;
    expect(read.step).toBeUndefined();
    expect(Object.getPrototypeOf(read.kindPart)).toBe(Object.prototype);
    expect(Object.keys(read.kindPart as object).sort()).toEqual(['__proto__', 'constructor']);
  });
});

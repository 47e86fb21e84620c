import { fillWarnings, parseFillCheck, parseFillSummary, verifyDiskFill } from './disk-fill.record';

const KV = {
  fill_created_at: '1000',
  fill_applied_at: '1003',
  fill_removed_at: '0',
  fill_planned_bytes: '33550336',
  fill_bytes: '33550336',
  fill_clipped: '0',
  fill_method: 'fallocate',
  fill_free_before: '67104768',
  fill_free_after: '33554432',
  fill_end_reason: '',
  fill_error: '',
};
const plan = { path: '/data', id: '0123abcd' };
const check = (over: Record<string, string> = {}) =>
  parseFillCheck({
    exists: '1',
    dir: '1',
    size: '33550336',
    allocated: '33554432',
    frsize: '4096',
    bavail: '8192',
    ...over,
  });

describe("the disk-fill helper's record", () => {
  it('parses the summary, instants of 0 as absent', () => {
    expect(parseFillSummary({})).toBeUndefined();
    expect(parseFillSummary(KV)).toMatchObject({
      createdAt: 1000,
      appliedAt: 1003,
      removedAt: undefined,
      bytes: 33550336,
    });
    expect(check().availBytes).toBe(8192 * 4096);
  });

  it('warns of a clipped fill and of zeros written', () => {
    expect(fillWarnings(parseFillSummary(KV))).toEqual([]);
    const w = fillWarnings(parseFillSummary({ ...KV, fill_clipped: '1', fill_bytes: '100', fill_method: 'write' }));
    expect(w[0]).toMatch(/^the fill was clipped at T0 to 100 bytes \(33550336 planned\)/);
    expect(w[1]).toMatch(/refused fallocate/);
    expect(fillWarnings(parseFillSummary({ ...KV, fill_planned_bytes: '0', fill_bytes: '0' }))).toEqual([
      'the filesystem was already as full as asked at T0: the fill file added nothing',
    ]);
  });

  it('verify: applied, the file there at its size and allocated', () => {
    const summary = parseFillSummary(KV);
    expect(verifyDiskFill({ state: 'applied', summary, check: check() }, plan)).toEqual({ ok: true });
    expect(verifyDiskFill({ state: 'reverted', summary, check: check() }, plan).ok).toBe(false);
    expect(verifyDiskFill({ state: 'applied', summary, check: check({ exists: '0' }) }, plan)).toEqual({
      ok: false,
      reasons: ['/data/.gameday-fill-0123abcd is not in the target (removed by someone else?)'],
    });
    expect(verifyDiskFill({ state: 'applied', summary, check: check({ size: '5' }) }, plan).ok).toBe(false);
    expect(verifyDiskFill({ state: 'applied', summary, check: check({ allocated: '4096' }) }, plan)).toEqual({
      ok: false,
      reasons: [expect.stringMatching(/holds 4096 bytes on disk/)],
    });
  });
});

import { faultSchema } from './fault.schema';
import { ledgerArgvRefusal } from './ledger-argv';
import {
  diskFillFaultSchema,
  DiskFillPlanError,
  fillBytes,
  fillFilePath,
  fillFloorBytes,
  fillRemoveArgv,
  planDiskFill,
  type FillProbe,
} from './disk-fill.schema';

const target = { container: 'web' };
const parse = (input: Record<string, unknown>) => faultSchema.safeParse({ kind: 'disk-fill', target, ...input });
const issuePaths = (input: Record<string, unknown>) => {
  const r = parse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};
const spec = (input: Record<string, unknown>) =>
  diskFillFaultSchema.parse({ kind: 'disk-fill', target, path: '/data', ...input });
const MB = 1048576;
const GB = 1024 * MB;

/** a filesystem of `total` bytes with `used` used, in 4 KiB blocks; `reserved` kept from us (ext4's root reserve) */
const fs = (total: number, used: number, reserved = 0) => ({
  frsize: 4096,
  blocks: total / 4096,
  bfree: (total - used) / 4096,
  bavail: (total - used - reserved) / 4096,
});
const tmpfs = (total: number, used: number): FillProbe => ({
  statfs: fs(total, used),
  own: true,
  ownWhy: 'tmpfs',
  fsType: '0x1021994',
});
const layer = (total: number, used: number, reserved = 0): FillProbe => ({
  statfs: fs(total, used, reserved),
  own: false,
  ownWhy: 'anonymous_device',
  fsType: '0x794c7630',
});

describe('the disk-fill schema', () => {
  it('takes an absolute path and a size in MB or percent', () => {
    expect(parse({ path: '/data', size: { mb: 100 } }).success).toBe(true);
    expect(parse({ path: '/', size: { percent: 50 } }).success).toBe(true);
    expect(parse({ path: '/var/lib/my-app_2/.cache/v1.0', size: { mb: 1 } }).success).toBe(true);
    expect(parse({ path: '/data/...', size: { mb: 1 } }).success).toBe(true);
  });

  it.each([
    [{ path: 'data', size: { mb: 1 } }, 'path'],
    [{ path: '', size: { mb: 1 } }, 'path'],
    [{ path: '/data/../etc', size: { mb: 1 } }, 'path'],
    [{ path: '/..', size: { mb: 1 } }, 'path'],
    [{ path: '/data/./x', size: { mb: 1 } }, 'path'],
    [{ path: '/data/', size: { mb: 1 } }, 'path'],
    [{ path: '//data', size: { mb: 1 } }, 'path'],
    [{ path: '/data;rm -rf /', size: { mb: 1 } }, 'path'],
    [{ path: '/data/$(id)', size: { mb: 1 } }, 'path'],
    [{ path: '/da ta', size: { mb: 1 } }, 'path'],
    [{ path: '/data\u0000x', size: { mb: 1 } }, 'path'],
    [{ path: '/data\nx', size: { mb: 1 } }, 'path'],
    [{ path: `/${'a'.repeat(255)}`, size: { mb: 1 } }, 'path'],
    [{ path: 7, size: { mb: 1 } }, 'path'],
    [{ path: '/data', size: { mb: 0 } }, 'size.mb'],
    [{ path: '/data', size: { mb: -5 } }, 'size.mb'],
    [{ path: '/data', size: { mb: 1.5 } }, 'size.mb'],
    [{ path: '/data', size: { mb: 1048577 } }, 'size.mb'],
    [{ path: '/data', size: { mb: 1e15 } }, 'size.mb'],
    [{ path: '/data', size: { mb: '10' } }, 'size.mb'],
    [{ path: '/data', size: { percent: 0 } }, 'size.percent'],
    [{ path: '/data', size: { percent: 101 } }, 'size.percent'],
    [{ path: '/data', size: { mb: 1, percent: 10 } }, 'size'],
    [{ path: '/data', size: {} }, 'size'],
    [{ path: '/data' }, 'size'],
    [{ size: { mb: 1 } }, 'path'],
    [{ path: '/data', size: { mb: 1 }, shell: 'x' }, ''],
  ])('refuses %j at %s', (input, path) => {
    expect(issuePaths(input)).toContain(path);
  });
});

describe('the fill size from statfs', () => {
  it('mb is MiB; percent fills until df would show that Use%', () => {
    expect(fillBytes({ mb: 3 }, fs(64 * MB, 0))).toBe(3 * MB);
    expect(fillBytes({ percent: 50 }, fs(64 * MB, 4096))).toBe(32 * MB - 4096);
    expect(fillBytes({ percent: 100 }, fs(64 * MB, 0))).toBe(64 * MB);
    // Use% counts what is available to us, not the blocks reserved for root (df's Size - Used - Avail)
    expect(fillBytes({ percent: 50 }, fs(100 * GB, 20 * GB, 10 * GB))).toBe(25 * GB);
    expect(fillBytes({ percent: 20 }, fs(64 * MB, 32 * MB))).toBe(0);
  });

  it('the floor of a shared filesystem is 5 % or 512 MB, whichever is larger', () => {
    expect(fillFloorBytes(4 * GB)).toBe(512 * MB);
    expect(fillFloorBytes(100 * GB)).toBe(5 * GB);
  });
});

describe('the disk-fill plan', () => {
  it('a tmpfs of its own may be filled up', () => {
    const plan = planDiskFill(spec({ size: { percent: 100 } }), tmpfs(64 * MB, 0), '0123abcd');
    expect(plan).toMatchObject({ mode: 'percent', value: 100, bytes: 64 * MB, floorBytes: 0, own: true });
    expect(fillFilePath(plan)).toBe('/data/.gameday-fill-0123abcd');
    expect(fillRemoveArgv(plan)).toEqual(['gameday-fill', 'rm', '/data', '0123abcd']);
    expect(fillFilePath({ path: '/', id: '0123abcd' })).toBe('/.gameday-fill-0123abcd');
  });

  it('refuses more than is free on its own filesystem, naming size.mb', () => {
    const err = (() => {
      try {
        planDiskFill(spec({ size: { mb: 65 } }), tmpfs(64 * MB, 0), '0123abcd');
      } catch (e) {
        return e as DiskFillPlanError;
      }
    })();
    expect(err).toBeInstanceOf(DiskFillPlanError);
    expect(err!.field).toBe('size.mb');
    expect(err!.message).toBe('size.mb (65) needs 65 MB, more than the 64 MB free at /data');
  });

  it('keeps the floor free on a filesystem shared with the engine', () => {
    // 100 GB, 20 used, 80 free: the floor is 5 GB, so 75 GB may be filled
    expect(planDiskFill(spec({ size: { mb: 75 * 1024 } }), layer(100 * GB, 20 * GB), '0123abcd')).toMatchObject({
      bytes: 75 * GB,
      floorBytes: 5 * GB,
      own: false,
    });
    expect(() => planDiskFill(spec({ size: { mb: 75 * 1024 + 1 } }), layer(100 * GB, 20 * GB), '0123abcd')).toThrow(
      /^size\.mb \(76801\) needs 76801 MB at \/data, whose filesystem is shared .* it must keep 5120 MB free .* at most 76800 MB may be filled$/,
    );
    // 95 % would leave exactly the floor; 96 % would not
    expect(planDiskFill(spec({ size: { percent: 95 } }), layer(100 * GB, 20 * GB), '0123abcd').bytes).toBe(75 * GB);
    expect(() => planDiskFill(spec({ size: { percent: 96 } }), layer(100 * GB, 20 * GB), '0123abcd')).toThrow(
      expect.objectContaining({ field: 'size.percent' }),
    );
    // on a small disk the 512 MB floor rules
    expect(() => planDiskFill(spec({ size: { mb: 600 } }), layer(2 * GB, 1 * GB), '0123abcd')).toThrow(
      /keep 512 MB free/,
    );
  });

  it('refuses a percent the filesystem is already at, naming size.percent', () => {
    expect(() => planDiskFill(spec({ size: { percent: 30 } }), tmpfs(64 * MB, 32 * MB), '0123abcd')).toThrow(
      new DiskFillPlanError('size.percent', 'size.percent (30) is already reached: /data is 50 % used'),
    );
  });
});

describe("a disk fill's ledger command", () => {
  it('is exactly gameday-fill rm of a plain path and an 8-hex id', () => {
    expect(ledgerArgvRefusal(['gameday-fill', 'rm', '/data', '0123abcd'], 'revert')).toBeNull();
    expect(ledgerArgvRefusal(['gameday-fill', 'rm', '/', 'deadbeef'], 'revert')).toBeNull();
    for (const bad of [
      ['gameday-fill', 'rm', '/data/../etc', '0123abcd'],
      ['gameday-fill', 'rm', '/data', '0123abcd0'],
      ['gameday-fill', 'rm', '/data', '../../x'],
      ['gameday-fill', 'rm', 'data', '0123abcd'],
      ['gameday-fill', 'rm', '/data;id', '0123abcd'],
      ['gameday-fill', 'run', '/data', '0123abcd'],
      ['rm', '-f', '/data/.gameday-fill-0123abcd'],
      ['rm', '-rf', '/'],
    ])
      expect(ledgerArgvRefusal(bad, 'revert')).not.toBeNull();
  });
});

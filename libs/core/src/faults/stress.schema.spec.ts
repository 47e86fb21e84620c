import { faultSchema } from './fault.schema';
import { stressFaultSchema, stressNgArgv, stressPlan, StressPlanError, type StressFaultSpec } from './stress.schema';

const target = { container: 'web' };
const parse = (input: Record<string, unknown>) => faultSchema.safeParse({ kind: 'stress', target, ...input });
const issuePaths = (input: Record<string, unknown>) => {
  const r = parse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};
const spec = (input: Record<string, unknown>) => stressFaultSchema.parse({ kind: 'stress', target, ...input });
const MB = 1048576;

describe('the stress schema', () => {
  it('takes cpu, memory or both; cpu.load defaults to 100 %', () => {
    expect(parse({ cpu: { workers: 2, load: 50 } }).success).toBe(true);
    expect(spec({ cpu: { workers: 1 } }).cpu).toEqual({ workers: 1, load: 100 });
    expect(parse({ memory: { mb: 128 } }).success).toBe(true);
    expect(parse({ memory: { percentOfLimit: 50 }, cpu: { workers: 1, load: 10 } }).success).toBe(true);
    expect(spec({ io: { workers: 2 } }).io).toEqual({ workers: 2, mb: 64 });
    expect(parse({ io: { workers: 4, mb: 1024 }, cpu: { workers: 1 } }).success).toBe(true);
  });

  it('refuses none of cpu, memory and io, naming the field', () => {
    const r = parse({});
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({
      path: ['cpu'],
      message: 'a stress fault needs cpu, memory, io or several of them',
    });
  });

  it.each([
    [{ cpu: { workers: 0 } }, 'cpu.workers'],
    [{ cpu: { workers: 65 } }, 'cpu.workers'],
    [{ cpu: { workers: -1 } }, 'cpu.workers'],
    [{ cpu: { workers: 1.5 } }, 'cpu.workers'],
    [{ cpu: { workers: '2' } }, 'cpu.workers'],
    [{ cpu: { workers: 1, load: 0 } }, 'cpu.load'],
    [{ cpu: { workers: 1, load: 101 } }, 'cpu.load'],
    [{ cpu: { workers: 1, shell: '$(id)' } }, 'cpu'],
    [{ memory: { mb: -5 } }, 'memory.mb'],
    [{ memory: { mb: 65537 } }, 'memory.mb'],
    [{ memory: { mb: 1e12 } }, 'memory.mb'],
    [{ memory: { percentOfLimit: 0 } }, 'memory.percentOfLimit'],
    [{ memory: { percentOfLimit: 101 } }, 'memory.percentOfLimit'],
    [{ memory: { mb: 10, percentOfLimit: 10 } }, 'memory'],
    [{ memory: {} }, 'memory'],
    [{ cpu: { workers: 1 }, io: { mb: 1 } }, 'io.workers'],
    [{ io: { workers: 0 } }, 'io.workers'],
    [{ io: { workers: 17 } }, 'io.workers'],
    [{ io: { workers: 1, mb: 0 } }, 'io.mb'],
    [{ io: { workers: 1, mb: 1025 } }, 'io.mb'],
    [{ io: { workers: 16, mb: 257 } }, 'io.mb'],
    [{ io: { workers: 1, path: '/data' } }, 'io'],
    [{ cpu: { workers: 1 }, disk: { mb: 1 } }, ''],
  ])('refuses %j at %s', (input, path) => {
    expect(issuePaths(input)).toContain(path);
  });
});

describe('the stress plan', () => {
  it('numbers only, 0 for what is off', () => {
    const off = { ioWorkers: 0, ioMb: 0 };
    expect(stressPlan(spec({ cpu: { workers: 2, load: 40 } }))).toEqual({
      cpuWorkers: 2,
      cpuLoad: 40,
      memoryMb: 0,
      ...off,
    });
    expect(stressPlan(spec({ memory: { mb: 64 } }))).toEqual({ cpuWorkers: 0, cpuLoad: 0, memoryMb: 64, ...off });
    expect(stressPlan(spec({ io: { workers: 3, mb: 16 } }))).toEqual({
      cpuWorkers: 0,
      cpuLoad: 0,
      memoryMb: 0,
      ioWorkers: 3,
      ioMb: 16,
    });
  });

  it("takes a share of the target's limit, and refuses one without a limit", () => {
    expect(stressPlan(spec({ memory: { percentOfLimit: 50 } }), 256 * MB).memoryMb).toBe(128);
    expect(stressPlan(spec({ memory: { percentOfLimit: 1 } }), 10 * MB).memoryMb).toBe(1);
    expect(() => stressPlan(spec({ memory: { percentOfLimit: 50 } }), 0)).toThrow(
      new StressPlanError('memory.percentOfLimit needs a memory limit on the target, and it has none'),
    );
  });

  it("refuses a hold above the target's limit", () => {
    expect(() => stressPlan(spec({ memory: { mb: 300 } }), 256 * MB)).toThrow(
      /memory.mb \(300\) is above .* \(256 MB\)/,
    );
    expect(stressPlan(spec({ memory: { mb: 256 } }), 256 * MB).memoryMb).toBe(256);
  });

  it('compiles to stress-ng words with its own timeout past T1 as a second clock', () => {
    const s: StressFaultSpec = spec({ cpu: { workers: 2, load: 30 }, memory: { mb: 100 } });
    expect(stressNgArgv(stressPlan(s), 10_500)).toEqual([
      'stress-ng',
      '--timeout',
      '13s',
      '--cpu',
      '2',
      '--cpu-load',
      '30',
      '--vm',
      '1',
      '--vm-bytes',
      '100m',
      '--vm-hang',
      '0',
      '--vm-keep',
    ]);
    expect(stressNgArgv(stressPlan(spec({ io: { workers: 2, mb: 32 } })), 1_000)).toEqual([
      'stress-ng',
      '--timeout',
      '3s',
      '--hdd',
      '2',
      '--hdd-bytes',
      '32m',
      '--temp-path',
      '/tmp',
    ]);
  });
});

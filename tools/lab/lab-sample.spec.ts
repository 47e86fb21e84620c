import { KIND_FILES, labSample, SIGKILL_KINDS } from './lab-sample';

describe('the lab sample of npm test', () => {
  const seeds = Array.from({ length: 200 }, (_, i) => (0x10000000 + i * 7919).toString(16));

  it('runs the SIGKILL trials of two different kinds and one kind file, fixed by the seed', () => {
    for (const seed of seeds) {
      const s = labSample({ GAMEDAY_LAB_SAMPLE_SEED: seed });
      expect(s.all).toBe(false);
      expect(s.dockerFiles[0]).toBe('rollback-sigkill');
      expect(s.dockerFiles).toHaveLength(2);
      expect(KIND_FILES).toContain(s.dockerFiles[1]);
      expect(new Set(s.sigkillKinds).size).toBe(2);
      expect(labSample({ GAMEDAY_LAB_SAMPLE_SEED: seed })).toEqual(s);
    }
  });

  it('reaches every kind and every kind file over successive commits', () => {
    const samples = seeds.map((seed) => labSample({ GAMEDAY_LAB_SAMPLE_SEED: seed }));
    expect(new Set(samples.flatMap((s) => s.sigkillKinds!))).toEqual(new Set(SIGKILL_KINDS));
    expect(new Set(samples.map((s) => s.dockerFiles[1]))).toEqual(new Set(KIND_FILES));
  });

  it('takes the commit when no seed is given, and every file with GAMEDAY_LAB_SAMPLE=all', () => {
    expect(labSample({}).seed).toMatch(/^[0-9a-f]{40}$/);
    const all = labSample({ GAMEDAY_LAB_SAMPLE: 'all' });
    expect(all.sigkillKinds).toBeUndefined();
    expect(all.dockerFiles).toEqual(
      expect.arrayContaining(['rollback-sigkill', 'rollback-sigkill-kinds', ...KIND_FILES]),
    );
  });

  it('refuses a value it does not know', () => {
    expect(() => labSample({ GAMEDAY_LAB_SAMPLE: 'some' })).toThrow(
      'GAMEDAY_LAB_SAMPLE: some (expected rotate or all)',
    );
  });
});

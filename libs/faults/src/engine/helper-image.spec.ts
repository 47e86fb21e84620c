import { helperContextDir, helperImageTag, stressImageTag } from './helper-image';

describe('the stress image tag', () => {
  it('follows the helper image it is built on (a changed helper never runs under an old stress image)', () => {
    const dir = helperContextDir();
    const helper = helperImageTag(dir);
    expect(stressImageTag(helper, dir)).toMatch(/^gameday\/stress-helper:[0-9a-f]{12}$/);
    expect(stressImageTag(helper, dir)).toBe(stressImageTag(helper, dir));
    expect(stressImageTag('gameday/netem-helper:000000000000', dir)).not.toBe(stressImageTag(helper, dir));
  });
});

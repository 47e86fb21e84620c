import { encodeProbeSteps, parseProbeResults } from './helper-protocol';

describe('gameday-helper probe protocol', () => {
  it('encodes each argv with its word count and refuses words that would split', () => {
    expect(
      encodeProbeSteps([
        ['ip', 'link', 'add', 'x'],
        ['tc', 'qdisc', 'show'],
      ]),
    ).toEqual(['2', '4', 'ip', 'link', 'add', 'x', '3', 'tc', 'qdisc', 'show']);
    expect(() => encodeProbeSteps([['tc', 'a\nb']])).toThrow(/newline/);
  });

  it('reads one exit code and first stderr line per step, and fails on a missing one', () => {
    const out = 'step1=0\nstep1_err=\nstep2=2\nstep2_err=Error: Specified qdisc kind is unknown.\n';
    expect(parseProbeResults(out, 2)).toEqual([
      { exitCode: 0, stderr: '' },
      { exitCode: 2, stderr: 'Error: Specified qdisc kind is unknown.' },
    ]);
    expect(() => parseProbeResults(out, 3)).toThrow(/probe step 3/);
  });
});

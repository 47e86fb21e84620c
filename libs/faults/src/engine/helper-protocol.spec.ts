import {
  abortLine,
  abortNonceEnv,
  beatLine,
  encodeProbeSteps,
  heartbeatEnv,
  isAbortNonce,
  newAbortNonce,
  parseProbeResults,
} from './helper-protocol';

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

describe('the abort line on the helper stdin', () => {
  it('draws a 16-hex-digit nonce per arming, a different one each time', () => {
    const a = newAbortNonce();
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(isAbortNonce(a)).toBe(true);
    expect(new Set(Array.from({ length: 50 }, newAbortNonce)).size).toBe(50);
  });

  it('writes one line: the nonce, then who asked reduced to the words the helper records', () => {
    expect(abortLine('0123456789abcdef', 'abort')).toBe('abort 0123456789abcdef abort\n');
    expect(abortLine('0123456789abcdef', 'guardrail; rm -rf /\nabort x')).toBe(
      'abort 0123456789abcdef guardrail__rm_-rf___abort_x\n',
    );
    expect(abortLine('0123456789abcdef', '')).toBe('abort 0123456789abcdef unnamed\n');
    expect(abortLine('0123456789abcdef', 'x'.repeat(60))).toBe(`abort 0123456789abcdef ${'x'.repeat(40)}\n`);
  });

  it('refuses anything but a nonce, on the line and in the environment of the hand-over', () => {
    for (const bad of ['', '0123456789ABCDEF', '0123456789abcde', '0123456789abcdef0', '0123456789abcde\n'])
      expect(() => abortLine(bad, 'abort')).toThrow(/16 hex digits/);
    expect(() => abortNonceEnv('nope')).toThrow(/16 hex digits/);
    expect(abortNonceEnv('0123456789abcdef')).toEqual(['GAMEDAY_ABORT_NONCE=0123456789abcdef']);
    expect(abortNonceEnv(undefined)).toBeUndefined();
    expect(isAbortNonce(undefined)).toBe(false);
  });
});

describe('the heartbeat on the helper stdin', () => {
  it('is the plan’s nonce on a line, and its timeout goes with the nonce in the hand-over', () => {
    expect(beatLine('0123456789abcdef')).toBe('beat 0123456789abcdef\n');
    expect(() => beatLine('0123456789abcde\n')).toThrow(/16 hex digits/);
    expect(heartbeatEnv('0123456789abcdef', 10_000)).toEqual([
      'GAMEDAY_ABORT_NONCE=0123456789abcdef',
      'GAMEDAY_BEAT_TIMEOUT_MS=10000',
    ]);
  });

  it('needs the nonce its lines carry, and a timeout the helper takes', () => {
    expect(() => heartbeatEnv(undefined, 10_000)).toThrow(/nonce/);
    for (const bad of [0, -1, 1.5, 3_600_001, Number.NaN])
      expect(() => heartbeatEnv('0123456789abcdef', bad)).toThrow(/1\.\.3600000 ms/);
  });
});

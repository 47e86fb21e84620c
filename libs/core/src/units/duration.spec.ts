import { durationSchema, formatDurationUs, parseDurationMs, parseDurationUs } from './duration';

describe('durations', () => {
  it.each([
    ['500ms', 500_000],
    ['2m', 120_000_000],
    ['1h30m', 5_400_000_000],
    ['250us', 250],
    ['1.5s', 1_500_000],
    ['0ms', 0],
  ])('parses %s', (text, us) => expect(parseDurationUs(text)).toBe(us));

  it.each(['', '500', 'ms', '5 s', '-1s', '1d', '1.s', 's5', '10msx'])('rejects %j', (text) =>
    expect(parseDurationUs(text)).toBeUndefined(),
  );

  it('converts to milliseconds', () => expect(parseDurationMs('2m')).toBe(120_000));

  it.each([
    [1_000_000, '1s'],
    [500_000, '500ms'],
    [250, '250us'],
  ])('formats %d us as %s', (us, text) => expect(formatDurationUs(us)).toBe(text));

  it('enforces bounds with a reason', () => {
    const schema = durationSchema({ min: '1s', max: '1h' });
    expect(schema.safeParse('30s').success).toBe(true);
    expect(schema.safeParse('500ms').error?.issues[0].message).toBe('must be at least 1s');
    expect(schema.safeParse('2h').error?.issues[0].message).toBe('must be at most 1h');
    expect(schema.safeParse('30').error?.issues[0].message).toMatch(/not a duration/);
  });
});

import { displayArgv, formatTable, printWarnings, shortInstant } from './output';

describe('output helpers', () => {
  it('aligns table columns without trailing spaces', () => {
    expect(
      formatTable(
        ['ID', 'NAME'],
        [
          ['a', 'first'],
          ['bbbb', ''],
        ],
      ),
    ).toBe('ID    NAME\na     first\nbbbb\n');
  });

  it("prints the API's warnings on stderr, naming the field", () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => err.push(t), isTty: false };
    printWarnings(io, [{ field: 'experiments[0].durations.baseline', message: 'gives about 4 samples' }]);
    printWarnings(io, undefined);
    expect(err).toEqual(['warning: experiments[0].durations.baseline: gives about 4 samples\n']);
  });

  it('shortens instants to the second and shows "-" for none', () => {
    expect(shortInstant('2030-01-01T10:00:00.123Z')).toBe('2030-01-01 10:00:00Z');
    expect(shortInstant(null)).toBe('-');
    expect(shortInstant('not a date')).toBe('not a date');
  });

  it('quotes argv words a shell would split or expand', () => {
    expect(displayArgv(['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', '500ms'])).toBe(
      'tc qdisc add dev eth0 root netem delay 500ms',
    );
    expect(displayArgv(['sh', '-c', "echo 'hi' $X", ''])).toBe(`sh -c 'echo '\\''hi'\\'' $X' ''`);
  });
});

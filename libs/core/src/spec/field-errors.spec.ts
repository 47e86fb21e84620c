import { z } from 'zod';
import { fieldErrors, formatPath } from './field-errors';

describe('formatPath', () => {
  it.each<[PropertyKey[], string]>([
    [[], ''],
    [['name'], 'name'],
    [['experiments', 0, 'fault', 'netem', 'delay'], 'experiments[0].fault.netem.delay'],
    [['headers', 'X-Trace-Id'], 'headers["X-Trace-Id"]'],
    [[0, 'a'], '[0].a'],
  ])('%j → %s', (path, expected) => expect(formatPath(path)).toBe(expected));
});

describe('fieldErrors', () => {
  const schema = z.strictObject({
    schedule: z.union([
      z.strictObject({ at: z.iso.datetime() }),
      z.strictObject({ cron: z.string(), timezone: z.string() }),
    ]),
  });

  it('reports the closest union branch rather than "no branch matched"', () => {
    const r = schema.safeParse({ schedule: { at: 'soon' } });
    expect(r.success ? [] : fieldErrors(r.error).map((e) => e.field)).toEqual(['schedule.at']);
    const c = schema.safeParse({ schedule: { cron: '* * * * *' } });
    expect(c.success ? [] : fieldErrors(c.error).map((e) => e.field)).toEqual(['schedule.timezone']);
  });

  it('names each unknown key', () => {
    const r = z.strictObject({ a: z.number() }).safeParse({ a: 1, b: 2, c: 3 });
    expect(r.success ? [] : fieldErrors(r.error)).toEqual([
      { field: 'b', message: 'unknown field' },
      { field: 'c', message: 'unknown field' },
    ]);
  });
});

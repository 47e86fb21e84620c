import { z } from 'zod';
import { fieldErrors } from './field-errors';
import { gameDaySpecSchema } from './gameday.schema';
import { safeRecord } from './primitives.schema';

// A JSON body as the API receives it: JSON.parse keeps "__proto__" as an own key.
const body = (json: string) => JSON.parse(json);

describe('safeRecord', () => {
  const labels = safeRecord(z.string().min(1), z.string());

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s, naming it', (key) => {
    const r = labels.safeParse(body(`{"${key}": "x", "gameday.enabled": "true"}`));
    expect(r.success).toBe(false);
    expect(fieldErrors(r.error!)).toEqual([{ field: key, message: expect.stringMatching(/reserved/) }]);
  });

  it('passes ordinary keys through, as z.record does', () => {
    expect(labels.parse({ 'gameday.enabled': 'true', Constructor: 'x' })).toEqual({
      'gameday.enabled': 'true',
      Constructor: 'x',
    });
  });

  it('z.record alone drops __proto__ silently (why this exists)', () => {
    expect(z.record(z.string(), z.string()).parse(body('{"__proto__": "x", "a": "b"}'))).toEqual({ a: 'b' });
  });
});

describe('every map of the spec keyed by user strings refuses reserved keys', () => {
  const spec = () =>
    body(`{"name": "g", "timezone": "UTC", "schedule": {"at": "2030-01-01T10:00:00Z"},
      "experiments": [{"name": "e",
        "hypothesis": {"description": "d", "probes": [{"name": "p", "url": "http://127.0.0.1:1/", "timeoutMs": 100}]},
        "load": {"url": "http://127.0.0.1:1/", "rate": 1},
        "fault": {"kind": "network", "target": {"labels": {"gameday.enabled": "true"}}, "netem": {"delay": "10ms"}},
        "durations": {"baseline": "1s", "fault": "1s", "recovery": "1s"}}]}`);

  it.each<[string, (e: ReturnType<typeof spec>['experiments'][0]) => void, string]>([
    [
      'target labels',
      (e) => (e.fault.target.labels = body('{"__proto__": "x", "gameday.enabled": "true"}')),
      'experiments[0].fault.target.labels.__proto__',
    ],
    [
      'probe headers',
      (e) => (e.hypothesis.probes[0].headers = body('{"constructor": "x"}')),
      'experiments[0].hypothesis.probes[0].headers.constructor',
    ],
    ['load headers', (e) => (e.load.headers = body('{"prototype": "x"}')), 'experiments[0].load.headers.prototype'],
  ])('%s', (_label, mutate, field) => {
    const b = spec();
    mutate(b.experiments[0]);
    const r = gameDaySpecSchema.safeParse(b);
    expect(r.success ? [] : fieldErrors(r.error).map((e) => e.field)).toEqual([field]);
  });

  it('the same spec without them is valid', () => {
    expect(gameDaySpecSchema.safeParse(spec()).success).toBe(true);
  });
});

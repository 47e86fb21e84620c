import { fieldErrors } from './field-errors';
import { gameDaySpecSchema } from './gameday.schema';
import { headerNameProblem, headersProblem, headerValueProblem } from './http-header';

describe('header values (RFC 9110 field value, US-ASCII)', () => {
  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF starting another header', 'a\r\nHost: evil'],
    ['a second request', 'a\r\n\r\nGET /admin HTTP/1.1\r\nHost: internal\r\n\r\n'],
    ['NUL', 'a\u0000b'],
    ['a control character', 'a\u0007b'],
    ['DEL', 'a\u007fb'],
    ['obs-text (Latin-1)', 'café'],
    ['above 0xFF', 'caf€'],
    ['an emoji', 'ok 😀'],
  ])('refuses %s', (_label, value) => {
    expect(headerValueProblem(value)).toMatch(/visible ASCII/);
  });

  it.each([
    ['empty', ''],
    ['a bearer token', 'Bearer abc.DEF-123_~+/='],
    ['spaces and tabs inside', 'a b\tc'],
    ['every visible ASCII character', Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('')],
  ])('accepts %s', (_label, value) => {
    expect(headerValueProblem(value)).toBeUndefined();
  });
});

describe('header names (RFC 9110 token)', () => {
  it.each([
    ['empty', '', /empty/],
    ['a space', 'X A', /token/],
    ['a colon', 'X-A:', /token/],
    ['CR LF', 'X-A\r\nHost', /token/],
    ['NUL', 'X\u0000A', /token/],
    ['non-ASCII', 'X-Café', /token/],
    ['too long', 'X'.repeat(129), /at most 128/],
    ['__proto__', '__proto__', /__proto__/],
    ['Host in any case', 'hOsT', /URL decides/],
    ['Content-Length', 'Content-Length', /framing/],
    ['Transfer-Encoding', 'transfer-encoding', /framing/],
    ['Connection', 'Connection', /framing/],
    ['Upgrade', 'Upgrade', /framing/],
  ])('refuses %s', (_label, name, message) => {
    expect(headerNameProblem(name)).toMatch(message);
  });

  it.each(['Authorization', 'X-Api-Key', 'x-b3-traceid', "!#$%&'*+.^_`|~"])('accepts %s', (name) => {
    expect(headerNameProblem(name)).toBeUndefined();
  });
});

describe('headersProblem (what the worker checks before it sends)', () => {
  it('names the first bad header of a set, whatever its shape', () => {
    expect(headersProblem(undefined)).toBeUndefined();
    expect(headersProblem({ Authorization: 'Bearer x', 'X-A': 'b' })).toBeUndefined();
    expect(headersProblem({ ok: 'x', 'X-A': 'a\r\nb' })).toMatch(/^header "X-A": must be visible ASCII/);
    expect(headersProblem({ Host: 'evil' })).toMatch(/^header "Host"/);
    expect(headersProblem({ 'X-A': 42 })).toMatch(/must be text/);
    expect(headersProblem(JSON.parse('{"__proto__": "x"}'))).toMatch(/__proto__/);
    expect(headersProblem(['X-A'])).toMatch(/must be an object/);
    expect(headersProblem(null)).toMatch(/must be an object/);
  });
});

describe('the spec schema applies the header rules wherever a spec carries headers', () => {
  const spec = (headers: Record<string, string>) => ({
    name: 'headers',
    timezone: 'UTC',
    schedule: { at: '2030-01-01T10:00:00.000Z' },
    experiments: [
      {
        name: 'e',
        hypothesis: {
          description: 'd',
          probes: [{ name: 'front', url: 'http://127.0.0.1:8000/', timeoutMs: 1000, headers }],
        },
        load: { url: 'http://127.0.0.1:8000/', rate: 1, headers },
        fault: { kind: 'container', target: { container: 'c' }, action: 'pause' },
        durations: { baseline: '1s', fault: '1s', recovery: '1s' },
      },
    ],
  });
  const errorsOf = (headers: Record<string, string>) => {
    const r = gameDaySpecSchema.safeParse(spec(headers));
    return r.success ? [] : fieldErrors(r.error);
  };

  it('names the probe and load header whose value is refused', () => {
    expect(errorsOf({ 'X-A': 'a\r\nb' })).toEqual([
      { field: 'experiments[0].hypothesis.probes[0].headers["X-A"]', message: expect.stringMatching(/visible ASCII/) },
      { field: 'experiments[0].load.headers["X-A"]', message: expect.stringMatching(/visible ASCII/) },
    ]);
    expect(errorsOf({ Authorization: 'caf€' }).map((e) => e.field)).toEqual([
      'experiments[0].hypothesis.probes[0].headers.Authorization',
      'experiments[0].load.headers.Authorization',
    ]);
  });

  it("names a refused header name with the rule's own reason", () => {
    expect(errorsOf({ 'X A': 'b' })).toEqual([
      { field: 'experiments[0].hypothesis.probes[0].headers["X A"]', message: expect.stringMatching(/token/) },
      { field: 'experiments[0].load.headers["X A"]', message: expect.stringMatching(/token/) },
    ]);
    expect(errorsOf({ 'Content-Length': '0' })[0]).toEqual({
      field: 'experiments[0].hypothesis.probes[0].headers["Content-Length"]',
      message: expect.stringMatching(/framing/),
    });
  });

  it('refuses a "__proto__" header, which zod\'s record would otherwise drop unchecked', () => {
    const body = spec({});
    body.experiments[0].hypothesis.probes[0].headers = JSON.parse('{"__proto__": "x", "X-B": "y"}');
    const r = gameDaySpecSchema.safeParse(body);
    expect(r.success ? [] : fieldErrors(r.error)).toEqual([
      { field: 'experiments[0].hypothesis.probes[0].headers.__proto__', message: expect.stringMatching(/__proto__/) },
    ]);
  });

  it('accepts ordinary headers', () => {
    expect(errorsOf({ Authorization: 'Bearer abc', 'X-Api-Key': 'k\tv' })).toEqual([]);
  });
});

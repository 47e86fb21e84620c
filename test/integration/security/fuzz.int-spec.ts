import { randomUUID } from 'node:crypto';
import { type JsonBody } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { fullGameDay } from './full-gameday';

/**
 * A generated fuzz: every field of a full GameDay replaced by hostile values, then the other
 * endpoints' bodies, path parameters and query strings. Whatever comes back must be a 4xx (or a
 * 2xx for input that happens to be valid), never a 5xx, and a rejected request writes no row.
 */

type Path = (string | number)[];

// raw JSON text replaces this marker: JSON.stringify cannot produce 1e999 (Infinity after parsing)
const RAW = '__raw_json__';
const deep = (n: number): JsonBody => (n === 0 ? 'bottom' : { a: deep(n - 1) });

const HOSTILE: { label: string; value: unknown }[] = [
  { label: 'number', value: 42 },
  { label: 'negative', value: -1 },
  { label: 'huge number', value: 1e308 },
  { label: 'infinity (raw 1e999)', value: RAW },
  { label: 'fraction', value: 0.5 },
  { label: 'boolean', value: true },
  { label: 'null', value: null },
  { label: 'empty array', value: [] },
  { label: 'array', value: [1, 'two', null] },
  { label: 'empty object', value: {} },
  { label: 'operator object', value: { $gt: '' } },
  { label: 'nested 60 deep', value: deep(60) },
  { label: 'empty string', value: '' },
  { label: 'huge string', value: 'x'.repeat(100_000) },
  { label: 'NUL', value: 'a\u0000b' },
  { label: 'control characters', value: '\u001b[31m\r\n\t\u0007' },
  { label: 'lone high surrogate', value: 'a\ud800' },
  { label: 'lone low surrogate', value: '\udfffz' },
  { label: 'NaN text', value: 'NaN' },
  { label: 'Infinity text', value: '-Infinity' },
  { label: 'shell', value: '$(reboot)' },
  { label: 'sql', value: `'; DROP TABLE "GameDay"; --` },
  { label: 'html', value: '<script>alert(1)</script>' },
  { label: 'path traversal', value: '../../etc/passwd' },
  { label: 'metadata URL', value: 'http://169.254.169.254/latest/meta-data/' },
  { label: 'docker API URL', value: 'http://127.0.0.1:2375/containers/json' },
  { label: 'file URL', value: 'file:///etc/passwd' },
  { label: 'redis URL', value: 'http://127.0.0.1:6379/' },
];

/** Every path of a JSON document, parents before children (the root excluded). */
function paths(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  return [];
}

function setAt(doc: JsonBody, path: Path, value: unknown): JsonBody {
  const copy = structuredClone(doc);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

const serialize = (body: unknown) => JSON.stringify(body).replace(JSON.stringify(RAW), '1e999');

describe('security: fuzz over every field and endpoint', () => {
  // thousands of requests from one address and token: the rate limit is another test's subject
  const marker = `sec-fuzz-${randomUUID()}`;
  const stack = useStack({
    name: 'sec-fuzz',
    env: { RATE_LIMIT_PER_ADDRESS: '1000000', RATE_LIMIT_PER_TOKEN: '1000000' },
    marker,
  });
  const { prisma } = stack;
  const counts = { sent: 0, '2xx': 0, '4xx': 0, '5xx': 0, other: 0 };
  const fiveHundreds: string[] = [];

  afterAll(() => console.log(`fuzz counts: ${JSON.stringify(counts)}`));

  beforeEach(() => {
    fiveHundreds.length = 0;
  });

  const inAWeek = () => new Date(Date.now() + 7 * 24 * 3600_000);

  async function send(
    label: string,
    method: 'get' | 'post' | 'patch' | 'delete',
    url: string,
    body?: unknown,
  ): Promise<number> {
    let req = stack.http[method](url).set(stack.admin);
    if (body !== undefined) req = req.set('Content-Type', 'application/json').send(serialize(body));
    const res = await req;
    counts.sent++;
    const cls = res.status >= 500 ? '5xx' : res.status >= 400 ? '4xx' : res.status >= 200 ? '2xx' : 'other';
    counts[cls]++;
    // a GameDay or a token: deleted as either
    if (res.status === 201 && typeof res.body?.id === 'string') {
      stack.gameDayIds.push(res.body.id);
      stack.tokenIds.push(res.body.id);
    }
    if (res.status >= 500 || res.status === 429)
      fiveHundreds.push(`${res.status} ${method.toUpperCase()} ${url} ${label}: ${res.text}`);
    return res.status;
  }

  it('POST /api/v1/gamedays: every field × hostile values, deleted, and an unknown sibling', async () => {
    const before = await prisma.gameDay.count();
    const base = fullGameDay(`${marker} base`, inAWeek());
    let created = 0;
    for (const path of paths(base)) {
      const variants: [string, JsonBody][] = HOSTILE.map((h) => [h.label, setAt(base, path, h.value)]);
      variants.push(['deleted', setAt(base, path, undefined)]);
      variants.push(['unknown sibling', setAt(base, [...path.slice(0, -1), 'zzUnknown'], 1)]);
      for (const [label, body] of variants) {
        // the name keeps the marker wherever it survives, so accepted rows can be cleaned up
        if (typeof body.name === 'string' && path[0] !== 'name') body.name = `${marker} ${path.join('.')} ${label}`;
        const status = await send(`${path.join('.')} = ${label}`, 'post', '/api/v1/gamedays', body);
        if (status === 201) created++;
      }
    }
    expect(fiveHundreds).toEqual([]);
    // a rejected request wrote nothing: exactly one row per 201
    expect((await prisma.gameDay.count()) - before).toBe(created);
  }, 600_000);

  it('PATCH /api/v1/gamedays/:id: each top-level field × hostile values; a rejected patch changes nothing', async () => {
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(fullGameDay(`${marker} patch target`, inAWeek()));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    let accepted = 0;
    const base = fullGameDay(`${marker} patch target`, inAWeek());
    for (const path of paths(base)) {
      for (const h of HOSTILE) {
        const top = path[0] as string;
        const patched = setAt(base, path, h.value);
        const status = await send(`${path.join('.')} = ${h.label}`, 'patch', `/api/v1/gamedays/${id}`, {
          [top]: patched[top],
        });
        if (status === 200) accepted++;
      }
    }
    expect(fiveHundreds).toEqual([]);
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id } });
    expect(row.version).toBe(1 + accepted);
  }, 600_000);

  // header fields HTTP forbids, wherever a spec carries headers (probes of every experiment, the
  // load; webhooks carry none): a value or name that could start another header or request, or that
  // Node's client would throw on inside the worker, is a 400 naming the header, on create and edit
  const HEADER_VALUES: [string, string][] = [
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CR LF and a Host', 'a\r\nHost: evil.example'],
    ['a smuggled request', 'a\r\n\r\nGET /admin HTTP/1.1\r\nHost: internal\r\n\r\n'],
    ['NUL', 'a\u0000b'],
    ['BEL', 'a\u0007b'],
    ['DEL', 'a\u007fb'],
    ['Latin-1 (obs-text)', 'café'],
    ['above 0xFF', 'caf€'],
    ['an emoji', '😀'],
  ];
  const HEADER_NAMES: [string, string][] = [
    ['empty', ''],
    ['a space', 'X A'],
    ['a colon', 'X-A:'],
    ['CR LF', 'X-A\r\nHost'],
    ['NUL', 'X\u0000A'],
    ['non-ASCII', 'X-Café'],
    ['too long', 'X'.repeat(129)],
    ['Host', 'host'],
    ['Content-Length', 'Content-Length'],
    ['Transfer-Encoding', 'Transfer-Encoding'],
    ['Connection', 'Connection'],
  ];
  /** Where a spec carries headers, as paths into fullGameDay. */
  const headerHomes = (base: JsonBody): Path[] => [
    ...base.experiments.flatMap((e: JsonBody, i: number) =>
      e.hypothesis.probes.map((_p: unknown, j: number) => ['experiments', i, 'hypothesis', 'probes', j]),
    ),
    ...base.experiments.flatMap((e: JsonBody, i: number) => (e.load ? [['experiments', i, 'load']] : [])),
  ];
  const fieldOf = (home: Path, name: string) =>
    home
      .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
      .join('')
      .slice(1) + (/^[A-Za-z_$][\w$]*$/.test(name) ? `.headers.${name}` : `.headers[${JSON.stringify(name)}]`);

  it('header names and values HTTP forbids, in every place a spec carries headers: 400 naming the header, nothing stored', async () => {
    const base = fullGameDay(`${marker} headers`, inAWeek());
    const created = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(base);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const before = await prisma.gameDay.count();
    const misses: string[] = [];
    for (const home of headerHomes(base)) {
      const variants: [string, string, string][] = [
        ...HEADER_VALUES.map(([label, value]): [string, string, string] => [`value with ${label}`, 'X-A', value]),
        ...HEADER_NAMES.map(([label, name]): [string, string, string] => [`name with ${label}`, name, 'v']),
      ];
      for (const [label, name, value] of variants) {
        const body = setAt(base, [...home, 'headers'], { [name]: value });
        body.name = `${marker} ${home.join('.')} ${label}`;
        // a NUL in a key is refused as unstorable text, named at the headers object
        const field = name.includes('\u0000') ? fieldOf(home, name).replace(/\[[^\]]*\]$/, '') : fieldOf(home, name);
        for (const [method, url, sent] of [
          ['post', '/api/v1/gamedays', body],
          ['patch', `/api/v1/gamedays/${id}`, { experiments: body.experiments }],
        ] as const) {
          const res = await stack.http[method](url)
            .set(stack.admin)
            .set('Content-Type', 'application/json')
            .send(serialize(sent));
          counts.sent++;
          const fields = (res.body?.errors ?? []).map((e: { field: string }) => e.field);
          if (res.status !== 400 || !fields.includes(field))
            misses.push(`${method.toUpperCase()} ${home.join('.')} ${label}: ${res.status} ${JSON.stringify(fields)}`);
        }
      }
    }
    expect(misses).toEqual([]);
    expect(await prisma.gameDay.count()).toBe(before);
    expect((await prisma.gameDay.findUniqueOrThrow({ where: { id } })).version).toBe(1);
  }, 120_000);

  it('a "__proto__" header name: a 4xx (never a 5xx), and nothing stored', async () => {
    const base = fullGameDay(`${marker} proto`, inAWeek());
    const created = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(base);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const before = await prisma.gameDay.count();
    for (const home of headerHomes(base)) {
      // raw JSON: an object literal with a "__proto__" key would set the prototype, not a key
      const body = setAt(base, [...home, 'headers'], { 'X-Proto-Marker': 'v' });
      body.name = `${marker} proto ${home.join('.')}`;
      const raw = serialize(body).replace('"X-Proto-Marker"', '"__proto__"');
      const patch = JSON.stringify({ experiments: body.experiments }).replace('"X-Proto-Marker"', '"__proto__"');
      for (const [method, url, text] of [
        ['post', '/api/v1/gamedays', raw],
        ['patch', `/api/v1/gamedays/${id}`, patch],
      ] as const) {
        const res = await stack.http[method](url).set(stack.admin).set('Content-Type', 'application/json').send(text);
        expect({ at: `${method} ${home.join('.')}`, class: Math.floor(res.status / 100) }).toEqual({
          at: `${method} ${home.join('.')}`,
          class: 4,
        });
      }
    }
    expect(await prisma.gameDay.count()).toBe(before);
    expect((await prisma.gameDay.findUniqueOrThrow({ where: { id } })).version).toBe(1);
  });

  it('path parameters, query strings and the other bodies', async () => {
    const tokensBefore = await prisma.apiToken.count();
    const segments = [
      '%00',
      '%ED%A0%80',
      '%',
      '%zz',
      '..%2F..%2Fetc%2Fpasswd',
      'x'.repeat(4000),
      "'",
      '-1',
      '1e999',
      'NaN',
      randomUUID().toUpperCase(),
      '%24(reboot)',
    ];
    for (const seg of segments) {
      await send(seg, 'get', `/api/v1/gamedays/${seg}`);
      await send(seg, 'patch', `/api/v1/gamedays/${seg}`, { name: 'x' });
      await send(seg, 'delete', `/api/v1/gamedays/${seg}`);
      await send(seg, 'post', `/api/v1/gamedays/${seg}/runs`);
      await send(seg, 'get', `/api/v1/gamedays/${seg}/runs`);
      await send(seg, 'get', `/api/v1/runs/${seg}`);
      await send(seg, 'get', `/api/v1/runs/${seg}/report`);
      await send(seg, 'post', `/api/v1/runs/${seg}/abort`, {});
      await send(seg, 'post', `/api/v1/runs/${seg}/notes`, { kind: 'note', text: 'x' });
      await send(seg, 'patch', `/api/v1/runs/${randomUUID()}/notes/${seg}`, { done: true });
      await send(seg, 'delete', `/api/v1/tokens/${seg}`);
    }
    const queryValues = ['%00', '%ED%A0%80', '%', '-1', '1e999', 'NaN', 'x'.repeat(4000), '%24(reboot)'];
    const queryKeys = [
      'limit',
      'cursor',
      'status',
      'environment',
      'mode',
      'scheduleKind',
      'q',
      'zz',
      'limit[]',
      'q[$gt]',
    ];
    for (const key of queryKeys)
      for (const v of queryValues) {
        await send(`${key}=${v}`, 'get', `/api/v1/gamedays?${key}=${v}`);
        await send(`${key}=${v}`, 'get', `/api/v1/gamedays/${randomUUID()}/runs?${key}=${v}`);
        await send(`${key}=${v}`, 'get', `/api/v1/runs/${randomUUID()}/report?format=${v}&${key}=${v}`);
      }
    const bodies: [string, string, (v: unknown) => unknown][] = [
      ['post', '/api/v1/tokens', (v) => ({ name: v, role: 'viewer' })],
      ['post', '/api/v1/tokens', (v) => ({ name: `${marker} token`, role: v })],
      ['post', '/api/v1/tokens', (v) => v],
      ['post', `/api/v1/runs/${randomUUID()}/notes`, (v) => ({ kind: 'note', text: v })],
      ['post', `/api/v1/runs/${randomUUID()}/notes`, (v) => ({ kind: v, text: 'x', owner: v })],
      ['patch', `/api/v1/runs/${randomUUID()}/notes/${randomUUID()}`, (v) => ({ done: v, text: v })],
      ['post', `/api/v1/runs/${randomUUID()}/abort`, (v) => ({ reason: v })],
      ['post', `/api/v1/runs/${randomUUID()}/abort`, (v) => v],
    ];
    let tokensCreated = 0;
    for (const [method, url, make] of bodies)
      for (const h of HOSTILE) {
        const status = await send(h.label, method as 'post', url, make(h.value));
        if (url === '/api/v1/tokens' && status === 201) tokensCreated++;
      }
    expect(fiveHundreds).toEqual([]);
    // a rejected token request wrote nothing: exactly one row per 201
    expect((await prisma.apiToken.count()) - tokensBefore).toBe(tokensCreated);
  }, 600_000);
});

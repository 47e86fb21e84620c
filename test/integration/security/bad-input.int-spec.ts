import { randomUUID } from 'node:crypto';
import { type JsonBody } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { fullGameDay } from './full-gameday';

/**
 * Text Postgres cannot store (a lone UTF-16 surrogate, NUL) is a 400 naming the field, never a
 * 500; target names follow Docker's and Compose's own rules.
 */
describe('security: bad input is a 400 naming the field', () => {
  const marker = `sec-bad-input-${randomUUID()}`;
  const stack = useStack({ name: 'sec-bad-input', marker });
  const { prisma } = stack;

  const inAWeek = () => new Date(Date.now() + 7 * 24 * 3600_000);
  const post = (body: JsonBody | string) =>
    stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));
  const rows = () => prisma.gameDay.count({ where: { name: { startsWith: marker } } });

  // JSON.stringify keeps a lone surrogate as the escape "\ud800", exactly what an attacker sends
  const cases: [string, (b: JsonBody) => void, string][] = [
    ['lone high surrogate in description', (b) => (b.description = 'a\ud800b'), 'description'],
    ['lone low surrogate in champion', (b) => (b.champion = '\udc00'), 'champion'],
    ['NUL in a participant contact', (b) => (b.participants[0].contact = 'a\u0000b'), 'participants[0].contact'],
    [
      'lone surrogate in a probe header value',
      (b) => (b.experiments[0].hypothesis.probes[0].headers.Authorization = 'Bearer \ud83d'),
      'experiments[0].hypothesis.probes[0].headers.Authorization',
    ],
    ['lone surrogate in the load body', (b) => (b.experiments[0].load.body = '\udfff'), 'experiments[0].load.body'],
    [
      'lone surrogate in a label value',
      (b) => (b.experiments[1].fault.target.labels['gameday.enabled'] = '\ud800'),
      'experiments[1].fault.target.labels["gameday.enabled"]',
    ],
    [
      'container name Docker could never have',
      (b) => (b.experiments[0].fault.target.container = '$(reboot)'),
      'experiments[0].fault.target.container',
    ],
    [
      'container name with a space',
      (b) => (b.experiments[0].fault.target.container = 'demo service'),
      'experiments[0].fault.target.container',
    ],
    [
      'label key with whitespace',
      (b) => (b.experiments[1].fault.target.labels = { 'gameday enabled': 'true' }),
      'experiments[1].fault.target.labels["gameday enabled"]',
    ],
    [
      'label value with a newline',
      (b) => (b.experiments[1].fault.target.labels = { 'gameday.enabled': 'true\nx' }),
      'experiments[1].fault.target.labels["gameday.enabled"]',
    ],
    [
      'compose project with a shell substitution',
      (b) => (b.experiments[0].fault.target = { compose: { project: '`id`' } }),
      'experiments[0].fault.target.compose.project',
    ],
    // JSON.parse keeps "__proto__" as an own key; a record that dropped it widened the selector
    [
      '__proto__ as a label key',
      (b) => (b.experiments[1].fault.target.labels = JSON.parse('{"__proto__": "x", "gameday.enabled": "true"}')),
      'experiments[1].fault.target.labels.__proto__',
    ],
    [
      'constructor as a label key',
      (b) => (b.experiments[1].fault.target.labels = { constructor: 'x', 'gameday.enabled': 'true' }),
      'experiments[1].fault.target.labels.constructor',
    ],
    [
      '__proto__ as a probe header',
      (b) => (b.experiments[0].hypothesis.probes[0].headers = JSON.parse('{"__proto__": {"X-Admin": "1"}}')),
      'experiments[0].hypothesis.probes[0].headers.__proto__',
    ],
    [
      'prototype as a load header',
      (b) => (b.experiments[0].load.headers = { prototype: 'x' }),
      'experiments[0].load.headers.prototype',
    ],
    // a disk fill's path and size (issue 26: paths outside the container, `../`, shell
    // metacharacters, negative or huge sizes)
    ...(
      [
        ['a disk fill path with ../', { path: '/data/../../etc', size: { mb: 1 } }, 'path'],
        ['a relative disk fill path', { path: 'data', size: { mb: 1 } }, 'path'],
        ['a disk fill path with shell metacharacters', { path: '/data;rm -rf /', size: { mb: 1 } }, 'path'],
        ['a disk fill path with NUL', { path: '/data\u0000', size: { mb: 1 } }, 'path'],
        ['a negative disk fill', { path: '/data', size: { mb: -1 } }, 'size.mb'],
        ['a huge disk fill', { path: '/data', size: { mb: 1e12 } }, 'size.mb'],
        ['a disk fill over 100 %', { path: '/data', size: { percent: 101 } }, 'size.percent'],
      ] as const
    ).map(([label, fill, field]): [string, (b: JsonBody) => void, string] => [
      label,
      (b) => (b.experiments[0].fault = { kind: 'disk-fill', target: b.experiments[0].fault.target, ...fill }),
      `experiments[0].fault.${field}`,
    ]),
  ];

  it.each(cases)('%s → 400 naming the field, no row', async (_label, mutate, field) => {
    const body = fullGameDay(`${marker} ${_label}`, inAWeek());
    mutate(body);
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await rows()).toBe(0);
  });

  it('a lone surrogate in the name (raw JSON escape) → 400, and in a PATCH too', async () => {
    const res = await post(`{"name": "${marker} \\ud800", "timezone": "UTC"}`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'name' }));

    const created = await post(fullGameDay(`${marker} patched`, inAWeek()));
    expect(created.status).toBe(201);
    const patch = await stack.http
      .patch(`/api/v1/gamedays/${created.body.id}`)
      .set(stack.admin)
      .set('Content-Type', 'application/json')
      .send('{"description": "\\udc00"}');
    expect(patch.status).toBe(400);
    expect(patch.body.errors).toContainEqual(expect.objectContaining({ field: 'description' }));
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.version).toBe(1);
  });

  it('a PATCH with a __proto__ field → 400 naming it, nothing changed', async () => {
    const created = await post(fullGameDay(`${marker} proto-patch`, inAWeek()));
    expect(created.status).toBe(201);
    const patch = await stack.http
      .patch(`/api/v1/gamedays/${created.body.id}`)
      .set(stack.admin)
      .set('Content-Type', 'application/json')
      .send('{"__proto__": {"mode": "blind"}, "description": "d"}');
    expect(patch.status).toBe(400);
    expect(patch.body.errors).toContainEqual(expect.objectContaining({ field: '__proto__' }));
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.version).toBe(1);
  });

  it('the full GameDay itself is accepted (the fixture is valid)', async () => {
    const res = await post(fullGameDay(`${marker} full`, inAWeek()));
    expect(res.status).toBe(201);
  });
});

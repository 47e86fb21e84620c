import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, type JsonBody } from '../../support/harness';
import { bearer, useStack } from '../../support/stack.fixture';
import { fullGameDay } from './full-gameday';

/**
 * A secret read back as "***" is kept by an edit only while its request still goes where it was
 * given for (scheme, host and port unchanged), for probes, load and webhooks alike. Operator A
 * stores the secrets; operator B, who sees only placeholders, points the requests at a server of
 * theirs and sends the placeholders back: refused, naming each field, and nothing changes.
 */
describe('security: a kept secret never follows a new destination', () => {
  const marker = `sec-secret-dest-${randomUUID().slice(0, 8)}`;
  const stack = useStack({ name: marker });
  const { prisma } = stack;
  // two operators: A stores the secrets, B tries to send them elsewhere
  const tokens: Record<string, string> = { admin: ADMIN_TOKEN };
  const SECRETS = ['Bearer probe-secret', '{"q":1}', 'load-secret', 'T000/B000/secret'];
  const ATTACKER = 'http://127.0.0.1:39999';
  const as = (who: string) => bearer(tokens[who]);

  beforeAll(async () => {
    for (const who of ['a', 'b']) tokens[who] = (await stack.createToken('operator', `${marker}-${who}`)).token;
  });

  /** A's GameDay, and what B reads of it (every secret a placeholder). */
  async function storedByA(): Promise<{ id: string; read: JsonBody; before: JsonBody }> {
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(as('a'))
      .send(fullGameDay(`${marker} ${randomUUID()}`, new Date(Date.now() + 7 * 24 * 3600_000)));
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);
    const read = await stack.http.get(`/api/v1/gamedays/${created.body.id}`).set(as('b'));
    expect(read.status).toBe(200);
    expect(SECRETS.filter((s) => read.text.includes(s))).toEqual([]);
    const before = (await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } })).spec;
    return { id: created.body.id, read: read.body.spec, before };
  }

  it("refuses B's edit that points A's probe and load at another server with the placeholders sent back", async () => {
    const { id, read, before } = await storedByA();
    const experiments = read.experiments;
    experiments[0].hypothesis.probes[0].url = `${ATTACKER}/collect`;
    experiments[0].load.url = `${ATTACKER}/collect`;
    const res = await stack.http.patch(`/api/v1/gamedays/${id}`).set(as('b')).send({ experiments });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'experiments[0].hypothesis.probes[0].headers.Authorization',
        'experiments[0].hypothesis.probes[0].body',
        'experiments[0].load.headers["X-Api-Key"]',
        'experiments[0].load.body',
      ]),
    );
    expect(res.body.errors[0].message).toMatch(/scheme, host or port changed/);
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id } });
    expect({ version: row.version, spec: row.spec }).toEqual({ version: 1, spec: before });
  });

  it.each([
    ['another port', 'http://127.0.0.1:8001/'],
    ['another scheme', 'https://127.0.0.1:8000/'],
    ['another host', 'http://localhost:8000/'],
  ])('refuses a probe moved to %s, however close', async (_label, url) => {
    const { id, read } = await storedByA();
    read.experiments[0].hypothesis.probes[0].url = url;
    const res = await stack.http.patch(`/api/v1/gamedays/${id}`).set(as('b')).send({ experiments: read.experiments });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(
      'experiments[0].hypothesis.probes[0].headers.Authorization',
    );
  });

  it('refuses a webhook placeholder for another host (the same rule)', async () => {
    const { id, read } = await storedByA();
    const res = await stack.http
      .patch(`/api/v1/gamedays/${id}`)
      .set(as('b'))
      .send({ webhooks: [{ ...read.webhooks[0], url: `${ATTACKER}/***` }] });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('webhooks[0].url');
  });

  it('keeps the secrets when only the path and query change, and takes new values for a new destination', async () => {
    const { id, read } = await storedByA();
    read.experiments[0].hypothesis.probes[0].url = 'http://127.0.0.1:8000/health?deep=1';
    const kept = await stack.http.patch(`/api/v1/gamedays/${id}`).set(as('b')).send({ experiments: read.experiments });
    expect(kept.status).toBe(200);
    let spec = (await prisma.gameDay.findUniqueOrThrow({ where: { id } })).spec as JsonBody;
    expect(spec.experiments[0].hypothesis.probes[0]).toMatchObject({
      url: 'http://127.0.0.1:8000/health?deep=1',
      headers: { Authorization: 'Bearer probe-secret' },
      body: '{"q":1}',
    });

    const again = (await stack.http.get(`/api/v1/gamedays/${id}`).set(as('b'))).body.spec;
    again.experiments[0].hypothesis.probes[0].url = `${ATTACKER}/collect`;
    again.experiments[0].hypothesis.probes[0].headers = { Authorization: 'Bearer b-own' };
    again.experiments[0].hypothesis.probes[0].body = 'b-body';
    const replaced = await stack.http
      .patch(`/api/v1/gamedays/${id}`)
      .set(as('b'))
      .send({ experiments: again.experiments });
    expect(replaced.status).toBe(200);
    spec = (await prisma.gameDay.findUniqueOrThrow({ where: { id } })).spec as JsonBody;
    expect(spec.experiments[0].hypothesis.probes[0]).toMatchObject({
      url: `${ATTACKER}/collect`,
      headers: { Authorization: 'Bearer b-own' },
      body: 'b-body',
    });
    expect(JSON.stringify(spec.experiments[0].hypothesis.probes[0])).not.toContain('probe-secret');
  });
});

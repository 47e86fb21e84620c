import { randomUUID } from 'node:crypto';
import { type JsonBody, minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

/**
 * allowPrivileged and the nsenter strategy widen what a fault may touch: an admin's choice. An
 * operator sending them gets 403 problem+json naming each field; an admin may; an operator may
 * edit an admin's GameDay that keeps them, but not aim them elsewhere.
 */
describe('security: admin-only fault options (real Postgres + Redis)', () => {
  const marker = `sec-admin-only-${randomUUID().slice(0, 8)}`;
  const stack = useStack({ name: marker, marker, users: ['operator'] });
  const { prisma } = stack;
  const operator = () => stack.as('operator');

  const body = (fault: (f: JsonBody) => void): JsonBody => {
    const b = minimalGameDay(new Date(Date.now() + 7 * 24 * 3600_000), { name: `${marker} ${randomUUID()}` });
    fault(b.experiments[0].fault);
    return b;
  };
  const privileged = () => body((f) => (f.target.allowPrivileged = true));
  const nsenter = () => body((f) => (f.strategy = 'nsenter'));
  const rows = () => prisma.gameDay.count({ where: { name: { startsWith: marker } } });

  it.each([
    ['allowPrivileged', privileged, 'experiments[0].fault.target.allowPrivileged'],
    ['the nsenter strategy', nsenter, 'experiments[0].fault.strategy'],
  ])('an operator sending %s gets 403 problem+json naming the field; nothing is written', async (_l, make, field) => {
    const before = await rows();
    const res = await stack.http.post('/api/v1/gamedays').set(operator()).send(make());
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:gameday:problem:admin-only-option', status: 403 });
    expect(res.body.errors).toEqual([{ field, message: expect.stringMatching(/only an admin/) }]);
    expect(await rows()).toBe(before);
  });

  it('an admin may set them; an operator may then edit the GameDay but not move or add them', async () => {
    const both = body((f) => {
      f.target.allowPrivileged = true;
      f.strategy = 'nsenter';
    });
    const created = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(both);
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // keeping the admin's choice: a description, and the experiments sent back as read
    const kept = await stack.http.patch(`/api/v1/gamedays/${id}`).set(operator()).send({ description: 'edited' });
    expect(kept.status).toBe(200);
    const experiments = kept.body.spec.experiments;
    expect((await stack.http.patch(`/api/v1/gamedays/${id}`).set(operator()).send({ experiments })).status).toBe(200);

    // aiming it elsewhere is a new choice
    const moved = structuredClone(experiments);
    moved[0].fault.target = { container: 'another-container', allowPrivileged: true };
    const refused = await stack.http.patch(`/api/v1/gamedays/${id}`).set(operator()).send({ experiments: moved });
    expect(refused.status).toBe(403);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'experiments[0].fault.target.allowPrivileged',
      'experiments[0].fault.strategy',
    ]);
    expect((await prisma.gameDay.findUniqueOrThrow({ where: { id } })).version).toBe(3);

    // and so is adding one to a GameDay without it
    const plain = await stack.http
      .post('/api/v1/gamedays')
      .set(operator())
      .send(body(() => undefined));
    expect(plain.status).toBe(201);
    const added = structuredClone(plain.body.spec.experiments);
    added[0].fault.strategy = 'nsenter';
    const res = await stack.http
      .patch(`/api/v1/gamedays/${plain.body.id}`)
      .set(operator())
      .send({ experiments: added });
    expect(res.status).toBe(403);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'experiments[0].fault.strategy' })]);
    expect(
      (await stack.http.patch(`/api/v1/gamedays/${plain.body.id}`).set(stack.admin).send({ experiments: added }))
        .status,
    ).toBe(200);
  });
});

import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { minimalGameDay } from '../../support/harness';
import { bearer, useStack } from '../../support/stack.fixture';

// Two API processes on one Postgres and one Redis, as the compose stack runs them behind its
// gateway: what one replica is told, the other acts on at once (no state of its own to sync).
describe('API replicas side by side (real Postgres + Redis)', () => {
  const stack = useStack({ name: 'replicas', api: { listen: true }, users: ['operator'] });
  const { prisma } = stack;

  /** the second replica: the same configuration (database, Redis, queue prefix) */
  async function secondReplica() {
    const app = await stack.startApi(stack.config);
    await app.listen(0, '127.0.0.1');
    return {
      http: request(app.getHttpServer()),
      url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`,
    };
  }

  afterAll(async () => {
    await stack.http.delete('/api/v1/safety-lever').set(stack.admin);
  });

  it('the safety lever engaged through one replica blocks a launch through the other', async () => {
    const b = await secondReplica();
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `replicas-${randomUUID()}` }));
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);

    const engaged = await stack.http
      .post('/api/v1/safety-lever')
      .set(stack.as('operator'))
      .send({ reason: 'replica test' });
    expect(engaged.status).toBe(202);
    expect((await b.http.get('/api/v1/safety-lever').set(stack.admin)).body).toMatchObject({ engaged: true });
    const refused = await b.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.as('operator')).send({});
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:gameday:problem:safety-lever-engaged');

    expect((await b.http.delete('/api/v1/safety-lever').set(stack.admin)).status).toBe(200);
    expect((await stack.http.get('/api/v1/safety-lever').set(stack.admin)).body).toMatchObject({ engaged: false });
  });

  it("a run's live stream on one replica carries what the worker writes while the run was launched through the other", async () => {
    const b = await secondReplica();
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `replicas-${randomUUID()}` }));
    stack.gameDayIds.push(created.body.id);
    const launched = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin).send({});
    expect(launched.status).toBe(201);

    const res = await fetch(`${b.url}/api/v1/runs/${launched.body.id}/events/stream`, {
      headers: { ...bearer(stack.user('operator').token), Accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const seen = async (pattern: RegExp) => {
      const deadline = Date.now() + 5_000;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`the stream did not carry ${pattern}: ${text.slice(-500)}`);
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
    };
    await seen(/"status":"scheduled"/);
    // the worker (here: a write as it would make) moves the run on; the other replica's stream shows it
    await prisma.run.update({
      where: { id: launched.body.id },
      data: { status: 'baseline', startedAt: new Date() },
    });
    await seen(/"status":"baseline"/);
    await reader.cancel();
  });
});

import request from 'supertest';
import { useStack } from '../../support/stack.fixture';
import { Relay, withPort } from '../../support/tcp-relay';

// Postgres unreachable: the API answers 503 problem+json (not 500) and recovers when Postgres is
// back. The shared Postgres is never touched: one API instance reaches it through a TCP relay this
// test stops and starts, another points at a port where nothing listens.

const expectUnavailable = (res: request.Response) => {
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body.status).toBe(503);
  expect(res.body.detail).toMatch(/postgres|database/i);
};

describe('Postgres unreachable', () => {
  const stack = useStack({ name: 'ctl-pg-down', api: false });
  const { config } = stack;
  const target = new URL(config.DATABASE_URL);
  const relay = new Relay(target.hostname, Number(target.port || 5432));

  afterAll(() => relay.stop());

  it('answers 503 problem+json on a port where nothing listens', async () => {
    const app = await stack.startApi({ ...config, DATABASE_URL: withPort(config.DATABASE_URL, '127.0.0.1', 1) });
    const http = request(app.getHttpServer());
    const list = await http.get('/api/v1/gamedays').set(stack.admin);
    expectUnavailable(list);
    expect(list.body.type).toBe('urn:gameday:problem:dependency-unavailable');
    const ready = await http.get('/readyz');
    expectUnavailable(ready);
    expect(ready.body.checks.postgres).toMatch(/^down/);
    expect(ready.body.checks.redis).toBe('up');
  });

  it('answers 503 while Postgres is cut off and recovers when it is back', async () => {
    await relay.start();
    const app = await stack.startApi({
      ...config,
      DATABASE_URL: withPort(config.DATABASE_URL, '127.0.0.1', relay.port),
    });
    const http = request(app.getHttpServer());
    expect((await http.get('/api/v1/gamedays').set(stack.admin)).status).toBe(200);

    await relay.stop();
    const down = await http.get('/api/v1/gamedays').set(stack.admin);
    expectUnavailable(down);
    expect(down.body.type).toBe('urn:gameday:problem:dependency-unavailable');
    // a database token cannot be checked either: 503, not 401 or 500
    const withDbToken = await http
      .get('/api/v1/gamedays')
      .set('Authorization', 'Bearer some-database-token-0123456789');
    expectUnavailable(withDbToken);
    expectUnavailable(await http.get('/readyz'));

    await relay.start();
    const back = Date.now();
    await (async () => {
      for (;;) {
        const res = await http.get('/api/v1/gamedays').set(stack.admin);
        if (res.status === 200) return;
        if (Date.now() - back > 10_000) throw new Error(`still ${res.status} 10 s after Postgres came back`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    console.log(`API answered 200 again ${Date.now() - back} ms after Postgres came back`);
    expect((await http.get('/readyz')).status).toBe(200);
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { minimalGameDay, testConfig, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import {
  cli,
  freePorts,
  redisDir,
  type RedisServers,
  startRedisServer,
  startSentinel,
  stopRedisServers,
} from '../../support/redis-servers';

// GameDay pointed at a Redis Sentinel setup (REDIS_SENTINELS): the API and the worker find the
// master through the sentinel, and a one-shot GameDay fires there (a real redis-server and a real
// sentinel; REDIS_URL's host is not used).
describe('queues on Redis Sentinel (real redis-server + sentinel)', () => {
  // the queues live on the sentinel's servers, removed afterwards with them
  const stack = useStack({ name: 'sentinel', api: false });
  const { prisma } = stack;
  let servers: RedisServers;

  afterAll(() => servers && stopRedisServers(servers));

  it('a one-shot GameDay fires through the master the sentinel names', async () => {
    const [masterPort, sentinelPort] = await freePorts(2);
    servers = { dir: redisDir('redis-sentinel'), ports: [masterPort, sentinelPort] };
    await startRedisServer(servers.dir, masterPort);
    await startSentinel(servers.dir, sentinelPort, masterPort, 'gdtest');
    const config = testConfig('sentinel', {
      REDIS_URL: 'redis://sentinel-mode-ignores-this-host:1/0',
      REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
      REDIS_SENTINEL_MASTER: 'gdtest',
    });
    const api = await stack.startApi(config);
    await stack.startWorker('stop-at-arming', config);

    const at = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000);
    const res = await request(api.getHttpServer())
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(at, { name: `sentinel-${randomUUID()}` }));
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    const run = await waitFor('the run', () => prisma.run.findFirst({ where: { gameDayId: res.body.id } }), 8000, 20);
    expect(run.scheduledFor.toISOString()).toBe(at.toISOString());
    expect(run.createdAt.getTime() - at.getTime()).toBeLessThan(1000);
    // the queue lives on the master the sentinel named, under this deployment's prefix
    expect(cli(masterPort, 'keys', `${config.QUEUE_PREFIX}:*`).split('\n').filter(Boolean).length).toBeGreaterThan(0);
  });
});

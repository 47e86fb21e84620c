import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  ADMIN_TOKEN,
  deleteGameDays,
  minimalGameDay,
  startApi,
  startWorker,
  testConfig,
  testPrisma,
  waitFor,
} from '../../support/harness';
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
  const prisma = testPrisma();
  const ids: string[] = [];
  let servers: RedisServers;
  let api: INestApplication | undefined;
  let worker: INestApplicationContext | undefined;

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await deleteGameDays(prisma, ids);
    await prisma.$disconnect();
    if (servers) stopRedisServers(servers);
  });

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
    api = await startApi(config);
    worker = await startWorker(config);

    const at = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000);
    const res = await request(api.getHttpServer())
      .post('/api/v1/gamedays')
      .set({ Authorization: `Bearer ${ADMIN_TOKEN}` })
      .send(minimalGameDay(at, { name: `sentinel-${randomUUID()}` }));
    expect(res.status).toBe(201);
    ids.push(res.body.id);
    const run = await waitFor('the run', () => prisma.run.findFirst({ where: { gameDayId: res.body.id } }), 8000, 20);
    expect(run.scheduledFor.toISOString()).toBe(at.toISOString());
    expect(run.createdAt.getTime() - at.getTime()).toBeLessThan(1000);
    // the queue lives on the master the sentinel named, under this deployment's prefix
    expect(cli(masterPort, 'keys', `${config.QUEUE_PREFIX}:*`).split('\n').filter(Boolean).length).toBeGreaterThan(0);
  });
});

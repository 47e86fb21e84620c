import { execFileSync } from 'node:child_process';
import { cli, freePorts, redisDir, startRedisServer, until } from './redis-servers';

/**
 * The redis-cluster tier's Redis: a real three-master Redis Cluster of local redis-server
 * processes, created with `redis-cli --cluster create`. Its nodes reach the tests as
 * GAMEDAY_TEST_REDIS_CLUSTER, not as REDIS_CLUSTER_NODES: every project's global setup runs
 * before any test, and the integration tier must keep its single Redis (redis-cluster.env.ts
 * sets the variable for this tier only).
 */
export default async function setup(): Promise<void> {
  const dir = redisDir('redis-cluster');
  const ports = await freePorts(3);
  process.env.GAMEDAY_TEST_REDIS_CLUSTER_DIR = dir;
  process.env.GAMEDAY_TEST_REDIS_CLUSTER_PORTS = ports.join(',');
  for (const port of ports)
    await startRedisServer(dir, port, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`]);
  const nodes = ports.map((p) => `127.0.0.1:${p}`);
  execFileSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
    stdio: 'pipe',
  });
  for (const port of ports)
    await until(`cluster state ok on ${port}`, () => cli(port, 'cluster', 'info').includes('cluster_state:ok'));
  process.env.GAMEDAY_TEST_REDIS_CLUSTER = nodes.join(',');
}

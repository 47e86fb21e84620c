import { cli, stopRedisServers } from './redis-servers';

/**
 * Stops the redis-cluster tier's nodes and removes their files, after checking that BullMQ's
 * scripts really ran on the cluster (a tier that silently used another Redis would prove nothing).
 */
export default async function teardown(): Promise<void> {
  const ports = (process.env.GAMEDAY_TEST_REDIS_CLUSTER_PORTS ?? '').split(',').filter(Boolean).map(Number);
  const dir = process.env.GAMEDAY_TEST_REDIS_CLUSTER_DIR;
  const scripts = ports.map((port) => {
    const stats = cli(port, 'info', 'commandstats');
    return [...stats.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  });
  if (dir) stopRedisServers({ dir, ports });
  console.log(`redis-cluster tier: BullMQ script calls per node ${scripts.join(', ')}`);
  if (ports.length > 0 && scripts.reduce((a, b) => a + b, 0) === 0)
    throw new Error('redis-cluster tier: no BullMQ script ran on the cluster');
}

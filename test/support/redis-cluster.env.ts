// The redis-cluster tier: the scheduling tests again, with their queues on the Redis Cluster
// that redis-cluster.global-setup.ts started (the harness then uses a hash-tagged prefix).
import './require-services';

if (!process.env.GAMEDAY_TEST_REDIS_CLUSTER) throw new Error('redis-cluster tier: its global setup started no cluster');
process.env.REDIS_CLUSTER_NODES = process.env.GAMEDAY_TEST_REDIS_CLUSTER;
// on a cluster REDIS_URL gives only credentials and must name database 0 (there is no other)
process.env.REDIS_URL = `redis://${process.env.GAMEDAY_TEST_REDIS_CLUSTER.split(',')[0]}/0`;

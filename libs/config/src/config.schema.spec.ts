import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, configSchema, parseConfig } from './config.schema';

describe('parseConfig', () => {
  it('applies defaults', () => {
    const c = parseConfig({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/gameday' });
    expect(c).toMatchObject({
      PORT: 8080,
      WORKER_PORT: 9464,
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: 'gameday',
    });
  });

  it('coerces ports', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://x@h/db', PORT: '3000' }).PORT).toBe(3000);
  });

  it.each([
    [{}, 'DATABASE_URL is required'],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL must be a postgresql:// or postgres:// URL'],
    [{ DATABASE_URL: 'postgres://x/y', PORT: '70000' }, 'PORT'],
    [
      { DATABASE_URL: 'postgres://x/y', GAMEDAY_ADMIN_TOKEN: 'short' },
      'GAMEDAY_ADMIN_TOKEN must be at least 16 characters',
    ],
    [{ DATABASE_URL: 'postgres://x/y', LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [
      { DATABASE_URL: 'postgres://x/y', REDIS_CLUSTER_NODES: 'a:7000,b' },
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port',
    ],
    [
      { DATABASE_URL: 'postgres://x/y', REDIS_CLUSTER_NODES: 'a:7000' },
      'QUEUE_PREFIX must be a hash tag such as {gameday} when REDIS_CLUSTER_NODES is set',
    ],
    [
      {
        DATABASE_URL: 'postgres://x/y',
        REDIS_CLUSTER_NODES: 'a:7000',
        QUEUE_PREFIX: '{gameday}',
        REDIS_URL: 'redis://h/3',
      },
      'REDIS_URL must name database 0',
    ],
    [
      {
        DATABASE_URL: 'postgres://x/y',
        REDIS_CLUSTER_NODES: 'a:7000',
        REDIS_SENTINELS: 's:26379',
        QUEUE_PREFIX: '{g}',
      },
      'REDIS_SENTINELS cannot be set together with REDIS_CLUSTER_NODES',
    ],
  ])('rejects %j naming the variable', (env, expected) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(expected);
  });

  it('accepts a Redis Cluster with a hash-tagged prefix, and Sentinel with a master name', () => {
    const cluster = parseConfig({
      DATABASE_URL: 'postgres://x/y',
      REDIS_CLUSTER_NODES: 'redis-1:7000,[::1]:7001,10.0.0.3:7002',
      QUEUE_PREFIX: '{gameday}',
    });
    expect(cluster.REDIS_CLUSTER_NODES).toBe('redis-1:7000,[::1]:7001,10.0.0.3:7002');
    const sentinel = parseConfig({ DATABASE_URL: 'postgres://x/y', REDIS_SENTINELS: 's1:26379,s2:26379' });
    expect(sentinel).toMatchObject({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_MASTER: 'mymaster' });
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://x/y', PORT: '' }).PORT).toBe(8080);
  });
});

describe('the README documents the configuration', () => {
  // README's Configuration table is the documentation of every variable this schema reads
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const start = readme.indexOf('## Configuration');
  const table = readme.slice(start, readme.indexOf('\n## ', start + 5));
  const documented = new Set<string>();
  for (const line of table.split('\n').filter((l) => l.startsWith('| `'))) {
    const cell = line.split('|')[1];
    let prefix = '';
    for (const [, name] of cell.matchAll(/`([A-Z_]+)`/g)) {
      // "`GAMEDAY_EGRESS_ALLOW` / `_ALLOW_DENIED`": a leading underscore continues the first name's prefix
      if (name.startsWith('_')) documented.add(prefix + name);
      else {
        documented.add(name);
        prefix = name.slice(0, name.indexOf('_', name.indexOf('_') + 1));
      }
    }
  }

  it.each(Object.keys(configSchema.shape))('%s is in the table', (name) => {
    expect(documented).toContain(name);
  });

  it('documents no variable the schema does not read', () => {
    expect([...documented].filter((n) => !(n in configSchema.shape))).toEqual([]);
  });
});

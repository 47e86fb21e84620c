import { ConfigError, parseConfig } from './config.schema';

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
  ])('rejects %j naming the variable', (env, expected) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(expected);
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://x/y', PORT: '' }).PORT).toBe(8080);
  });
});

// Integration tests talk to real services. When one is missing they must fail loudly,
// never skip: the env below is checked by each suite's own connection attempt, and
// defaults point at the local services the bootstrap script starts.
process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/gameday_test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379/0';

import { PrismaService } from '@gameday/db';

// Transactions wait for a busy pool instead of failing: Prisma's default wait (2 s) failed the
// transactions of a worker whose pool was busy with a burst's runs (run transitions failed, fire
// jobs spent their attempts and their occurrences went unfired). Real Postgres.
describe('transactions on a busy pool (real Postgres)', () => {
  // the services' client, with a pool of one connection
  let prisma: PrismaService;
  beforeAll(() => {
    prisma = new PrismaService(process.env.DATABASE_URL!, 1);
  });
  afterAll(() => prisma.$disconnect());

  it('eight transactions of 0.5 s each on one connection all run, one after another', async () => {
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => prisma.$transaction((tx) => tx.$queryRaw`SELECT 1 AS slept FROM pg_sleep(0.5)`)),
    );
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : o.status))).toEqual(
      Array(8).fill('fulfilled'),
    );
    // they queued past Prisma's default wait of 2 s
    expect(performance.now() - started).toBeGreaterThanOrEqual(3_900);
  });
});

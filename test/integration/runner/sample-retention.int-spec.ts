import type { INestApplicationContext } from '@nestjs/common';
import { ProbeSampleRepository } from '@gameday/db';
import { SampleRetention } from '../../../apps/worker/src/retention/sample-retention.service';
import { deleteGameDays, deleteQueueKeys, startWorker, testConfig, testPrisma } from '../../support/harness';

const DAY = 24 * 3600_000;

// Sample retention against the real Postgres: the raw evidence of runs that ended longer ago than
// GAMEDAY_SAMPLE_RETENTION_DAYS goes, in bounded batches; runs, recent and active runs' evidence stay.
describe('sample retention (real Postgres)', () => {
  const config = testConfig('retention', { GAMEDAY_SAMPLE_RETENTION_DAYS: '30' });
  const prisma = testPrisma();
  const gameDays: string[] = [];
  let worker: INestApplicationContext;

  beforeAll(async () => {
    worker = await startWorker(config);
  });

  afterAll(async () => {
    await worker?.close();
    await deleteGameDays(prisma, gameDays);
    await prisma.$disconnect();
    await deleteQueueKeys(config);
  });

  /** A run that ended `endedDaysAgo` days ago (null: still active) with its samples and load seconds. */
  async function runWithEvidence(endedDaysAgo: number | null, samples: number, seconds: number): Promise<string> {
    const gd = await prisma.gameDay.create({
      data: { name: 'retention', timezone: 'UTC', scheduleKind: 'at', runAt: new Date(), spec: {} },
    });
    gameDays.push(gd.id);
    const finishedAt = endedDaysAgo === null ? null : new Date(Date.now() - endedDaysAgo * DAY);
    const run = await prisma.run.create({
      data: {
        gameDayId: gd.id,
        scheduledFor: new Date(),
        spec: {},
        gameDayVersion: 1,
        status: finishedAt ? 'completed' : 'observing',
        finishedAt,
      },
    });
    const at = new Date((finishedAt ?? new Date()).getTime() - 60_000);
    await prisma.probeSample.createMany({
      data: Array.from({ length: samples }, () => ({
        runId: run.id,
        experimentIndex: 0,
        probe: 'p',
        phase: 'fault',
        at,
        durationMs: 12,
        ok: true,
      })),
    });
    await prisma.loadAggregate.createMany({
      data: Array.from({ length: seconds }, (_, i) => ({
        runId: run.id,
        experimentIndex: 0,
        phase: 'fault',
        at: new Date(at.getTime() + i * 1000),
        count: 100,
        errors: 0,
        sumMs: 1200,
        minMs: 10,
        maxMs: 15,
        errorsByKind: {},
        statusCounts: { '200': 100 },
        buckets: { '123': 100 },
      })),
    });
    return run.id;
  }

  const evidence = async (runId: string) => ({
    samples: await prisma.probeSample.count({ where: { runId } }),
    load: await prisma.loadAggregate.count({ where: { runId } }),
  });

  it('deletes the evidence of runs ended before the retention, keeps the rest and the runs themselves', async () => {
    const old = await runWithEvidence(31, 5, 3);
    const recent = await runWithEvidence(29, 4, 2);
    const active = await runWithEvidence(null, 3, 1);

    const swept = await worker.get(SampleRetention).sweep();
    // other test files' old runs may be swept too: at least these
    expect(swept.samples).toBeGreaterThanOrEqual(5);
    expect(swept.load).toBeGreaterThanOrEqual(3);
    expect(await evidence(old)).toEqual({ samples: 0, load: 0 });
    expect(await evidence(recent)).toEqual({ samples: 4, load: 2 });
    expect(await evidence(active)).toEqual({ samples: 3, load: 1 });
    expect(await prisma.run.count({ where: { id: { in: [old, recent, active] } } })).toBe(3);
  });

  it('deletes in batches until nothing is left', async () => {
    const old = await runWithEvidence(400, 7, 5);
    const deleted = await worker
      .get(ProbeSampleRepository)
      .deleteForRunsFinishedBefore(new Date(Date.now() - 399 * DAY), 2);
    expect(deleted).toEqual({ samples: 7, load: 5 });
    expect(await evidence(old)).toEqual({ samples: 0, load: 0 });
  });

  it('keeps everything when retention is 0', async () => {
    const forever = testConfig('retention-off', { GAMEDAY_SAMPLE_RETENTION_DAYS: '0' });
    const w = await startWorker(forever);
    try {
      const old = await runWithEvidence(3000, 2, 2);
      expect(await w.get(SampleRetention).sweep()).toEqual({ samples: 0, load: 0 });
      expect(await evidence(old)).toEqual({ samples: 2, load: 2 });
    } finally {
      await w.close();
      await deleteQueueKeys(forever);
    }
  });
});

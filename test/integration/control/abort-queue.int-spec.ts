import type { INestApplicationContext } from '@nestjs/common';
import { Queue, type Job } from 'bullmq';
import { DEFAULT_ENGINE, RUNNER_QUEUES, engineQueue } from '@gameday/queue';
import { waitFor } from '../../support/harness';
import { bearer, useStack } from '../../support/stack.fixture';
import { isPaused, pauseGameDay, removeContainers, startTarget, undrivenPausedRun } from './control-support';

// Aborts have a queue nothing else waits in front of, and dry runs (open to viewers) are rate
// limited per token. Real Postgres, Redis, BullMQ and Docker.
jest.setTimeout(120_000);

const FLOOD = 200;
// every queue a dry run or an abort may sit on (the fault queue held both before they had their own)
const QUEUE_NAMES = [
  'gameday-fault',
  'gameday-abort',
  'gameday-dry-run',
  engineQueue(RUNNER_QUEUES.dryRun, DEFAULT_ENGINE),
];

describe('abort queue and dry-run rate limit', () => {
  const stack = useStack({ name: 'ctl-abort-queue', api: { dryRunTimeoutMs: 90_000 } });
  const { config, prisma } = stack;
  const containers: string[] = [];
  const queues = QUEUE_NAMES.map(
    (name) => new Queue(name, { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX }),
  );
  let worker: INestApplicationContext | undefined;

  afterAll(async () => {
    await Promise.allSettled(queues.map((q) => q.close()));
    await removeContainers(containers);
  });

  async function viewerToken(): Promise<string> {
    return (await stack.createToken('viewer')).token;
  }

  async function jobsNamed(name: string): Promise<Job[]> {
    const all = await Promise.all(
      queues.map((q) => q.getJobs(['waiting', 'prioritized', 'active', 'completed', 'failed'])),
    );
    return all.flat().filter((j) => j?.name === name);
  }

  it('with 200 dry runs queued, an abort lands within 1 s and overtakes them', async () => {
    const target = await startTarget('abort-queue');
    containers.push(target.name);
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(pauseGameDay(target, { baseline: '3s', fault: '60s', recovery: '1s' }));
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);

    // 200 dry runs from 20 viewers (10 each: within the per-token limit) while no worker runs
    const viewers = await Promise.all(Array.from({ length: FLOOD / 10 }, () => viewerToken()));
    const pending = viewers.flatMap((token) =>
      Array.from({ length: 10 }, () =>
        stack.http
          .post(`/api/v1/gamedays/${created.body.id}/dry-run`)
          .set(bearer(token))
          .send()
          .then((r) => r.status),
      ),
    );
    await waitFor('the dry runs to be queued', async () => (await jobsNamed('dry-run')).length >= FLOOD, 30_000, 100);

    const runId = await undrivenPausedRun(prisma, created.body.id, target.name);
    expect(await isPaused(target.name)).toBe(true);
    const abort = await stack.http.post(`/api/v1/runs/${runId}/abort`).set(stack.admin).send({ reason: 'flooded' });
    expect(abort.status).toBe(202);
    expect(abort.body.queued).toBe(true);

    // a worker comes up to a backlog of 200 dry runs and one abort
    const startedAt = Date.now();
    worker = await stack.startWorker();
    await waitFor('the revert', async () => !(await isPaused(target.name)) || null, 5_000, 10);
    const abortJob = await waitFor(
      'the abort job to finish',
      async () => (await jobsNamed('abort')).find((j) => j.data.runId === runId && j.finishedOn) ?? null,
      30_000,
      20,
    );
    const dryRuns = await jobsNamed('dry-run');
    const firstTaken = Math.min(...[...dryRuns, abortJob].map((j) => j.processedOn ?? Infinity));
    const dryRunsBefore = dryRuns.filter((j) => j.processedOn && j.processedOn < abortJob.processedOn!).length;
    const lease = await prisma.activeFault.findFirstOrThrow({ where: { runId } });
    const landedMs = abortJob.processedOn! - firstTaken;
    console.log(
      `abort behind ${FLOOD} dry runs: taken ${landedMs} ms after the worker took its first job, ` +
        `${dryRunsBefore} dry run(s) started before it; fault reverted ${lease.revertedAt!.getTime() - startedAt} ms after the worker began starting`,
    );
    expect(lease.revertedAt).not.toBeNull();
    expect(landedMs).toBeLessThan(1_000);
    // nothing waits in front of an abort: it did not queue behind the backlog
    expect(dryRunsBefore).toBeLessThan(FLOOD / 4);

    const statuses = await Promise.all(pending);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('answers 429 problem+json with Retry-After past 10 dry runs a minute per token', async () => {
    const target = await startTarget('rate');
    containers.push(target.name);
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(pauseGameDay(target, { baseline: '1s', fault: '1s', recovery: '1s' }));
    stack.gameDayIds.push(created.body.id);
    worker ??= await stack.startWorker();
    const token = await viewerToken();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push(
        (await stack.http.post(`/api/v1/gamedays/${created.body.id}/dry-run`).set(bearer(token)).send()).status,
      );
    expect(statuses).toEqual(Array(10).fill(200));
    const refused = await stack.http.post(`/api/v1/gamedays/${created.body.id}/dry-run`).set(bearer(token)).send();
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ type: 'urn:gameday:problem:rate-limited', status: 429 });
    // another token is not held back by the first one's flood
    const other = await viewerToken();
    expect(
      (await stack.http.post(`/api/v1/gamedays/${created.body.id}/dry-run`).set(bearer(other)).send()).status,
    ).toBe(200);
  });
});

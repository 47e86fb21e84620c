import type { Prisma } from '@gameday/db';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { findAll, readXml } from '../../support/xml-reader';
import { runCli } from './cli-process';

// Results for pipelines: the report as JUnit XML and JSON, the resilience score and its trend,
// from the API and through the `gameday` CLI (a child process) with its exit codes. Real Postgres
// and Redis; the finished runs are written into the database as the worker leaves them (the
// executor's own runs are covered in test/integration/runner), so nothing here needs Docker.
describe('run results for pipelines: JUnit, JSON, resilience score (API + CLI)', () => {
  const marker = `report-${randomUUID().slice(0, 8)}`;
  const stack = useStack({ name: 'report', api: { listen: true }, users: ['viewer'], marker });
  const { prisma } = stack;
  const dir = mkdtempSync(join(tmpdir(), 'gameday-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const HOUR = 3600_000;
  const T0 = Date.now() - 10 * HOUR;
  const stats = (count: number, errorRate: number, ms: number) => ({
    count,
    errors: Math.round(count * errorRate),
    errorRate,
    errorsByKind: {},
    statusCounts: {},
    meanMs: ms,
    minMs: ms,
    maxMs: ms,
    p50Ms: ms,
    p95Ms: ms,
    p99Ms: ms,
  });
  const check = (window: string, metric: string, comparator: string, threshold: number, actual: number) => ({
    window,
    metric,
    comparator,
    threshold,
    actual,
    passed: comparator === '<=' ? actual <= threshold : actual >= threshold,
  });

  /** The stored result of one judged experiment, with a fault-window p99 of `faultMs`. */
  function result(at: number, faultMs: number) {
    const checks = [
      check('fault', 'p99Ms', '<=', 350, faultMs),
      check('fault', 'errorRate', '>=', 0.9, 1),
      check('recovery', 'errorRate', '<=', 0.05, 0),
    ];
    const failed = checks.filter((c) => !c.passed);
    const verdict = failed.length ? 'hypothesis_violated' : 'hypothesis_held';
    return {
      experiments: [
        {
          index: 0,
          name: 'latency',
          plan: { index: 0, baselineAt: at, injectAt: at + 10_000, revertAt: at + 30_000, endAt: at + 40_000 },
          targets: [{ containerId: 'c0ffee0123456789', containerName: 'demo-service2-1' }],
          stats: { baseline: stats(20, 0, 20), fault: stats(40, 1, faultMs), recovery: stats(20, 0, 20) },
          probes: {},
          verdict: {
            verdict,
            reason: failed.length ? `fault p99Ms ${faultMs} (expected <= 350)` : `all ${checks.length} checks passed`,
            checks,
            deviationRatio: faultMs / 20,
          },
          timeToRecoverMs: 140,
          injectionSkewMs: 2,
          revertSkewMs: 3,
          abortLatencyMs: null,
        },
      ],
      verdict,
      deviationRatio: faultMs / 20,
    };
  }

  let gameDayId = '';
  const runs: Record<'held' | 'violated' | 'failed', string> = { held: '', violated: '', failed: '' };
  let env: Record<string, string>;

  beforeAll(async () => {
    env = { GAMEDAY_URL: stack.url, GAMEDAY_TOKEN: ADMIN_TOKEN };
    const body = minimalGameDay(new Date(Date.now() + HOUR), { name: `${marker} <latency> & "quotes"` });
    const experiment = (body.experiments as Record<string, unknown>[])[0];
    experiment.guardrails = [{ name: 'errors', metric: 'errorRate', threshold: 0.99, window: '10s', for: '5s' }];
    const created = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body);
    expect(created.status).toBe(201);
    gameDayId = created.body.id;
    stack.gameDayIds.push(gameDayId);
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id: gameDayId } });
    const row = (at: number, fields: Partial<Prisma.RunUncheckedCreateInput>) =>
      prisma.run.create({
        data: {
          gameDayId,
          scheduledFor: new Date(at),
          trigger: 'manual',
          spec: gameDay.spec as Prisma.InputJsonValue,
          gameDayVersion: gameDay.version,
          startedAt: new Date(at),
          finishedAt: new Date(at + 40_000),
          ...fields,
        } as Prisma.RunUncheckedCreateInput,
      });
    const [held, violated, failed] = await Promise.all([
      row(T0, {
        status: 'completed',
        verdict: 'hypothesis_held',
        result: result(T0, 301) as unknown as Prisma.InputJsonValue,
      }),
      row(T0 + HOUR, {
        status: 'completed',
        verdict: 'hypothesis_violated',
        result: result(T0 + HOUR, 612) as unknown as Prisma.InputJsonValue,
      }),
      row(T0 + 2 * HOUR, { status: 'failed', error: 'engine unreachable', result: { experiments: [] } }),
    ]);
    Object.assign(runs, { held: held.id, violated: violated.id, failed: failed.id });
  });

  it('serves JUnit XML by ?format=junit or Accept: application/xml, with what was expected and measured', async () => {
    const res = await stack.http.get(`/api/v1/runs/${runs.violated}/report?format=junit`).set(stack.as('viewer'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    const doc = readXml(res.text);
    expect(doc.attributes).toMatchObject({
      name: `GameDay: ${marker} <latency> & "quotes"`,
      tests: '5',
      failures: '2',
      errors: '0',
    });
    const cases = findAll(doc, 'testcase').map((c) => [c.attributes.name, c.children[0]?.attributes.message ?? 'pass']);
    expect(cases).toEqual([
      ['fault p99Ms <= 350', 'expected fault p99Ms <= 350, measured 612'],
      ['fault errorRate >= 0.9', 'pass'],
      ['recovery errorRate <= 0.05', 'pass'],
      ['guardrail errors: errorRate <= 0.99 over 10s (breach after 5s)', 'pass'],
      [
        'hypothesis verdict',
        'expected hypothesis_held (errors within 300ms), got hypothesis_violated: fault p99Ms 612 (expected <= 350)',
      ],
    ]);
    const byAccept = await stack.http
      .get(`/api/v1/runs/${runs.violated}/report`)
      .set(stack.as('viewer'))
      .set('Accept', 'application/xml');
    expect(byAccept.text).toBe(res.text);
  });

  it('serves the structured report as JSON, with the score the run view shows', async () => {
    const res = await stack.http
      .get(`/api/v1/runs/${runs.violated}/report`)
      .set(stack.as('viewer'))
      .set('Accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toMatchObject({ runId: runs.violated, gameDayId, verdict: 'hypothesis_violated' });
    expect(res.body.experiments[0].guardrails).toEqual([
      { name: 'errors', metric: 'errorRate', threshold: 0.99, window: '10s', for: '5s' },
    ]);
    // 20 (violated) + 30 / 3 (one of three checks); errors and latency in the fault window are
    // judged by the hypothesis' own checks there, so they cost nothing more
    expect(res.body.score).toEqual({
      score: 70,
      unscoredReason: null,
      version: 1,
      deductions: [
        {
          code: 'hypothesis_violated',
          experimentIndex: 0,
          reason: 'fault p99Ms 612 (expected <= 350)',
          points: 20,
        },
        {
          code: 'check_failed',
          experimentIndex: 0,
          reason: 'fault p99Ms: expected <= 350, measured 612',
          points: 10,
        },
      ],
    });
    const view = await stack.http.get(`/api/v1/runs/${runs.violated}`).set(stack.as('viewer'));
    expect(view.body.score).toEqual(res.body.score);
    expect(view.body.summary.score).toBe(70);
    const md = await stack.http.get(`/api/v1/runs/${runs.violated}/report?format=markdown`).set(stack.as('viewer'));
    expect(md.text).toContain('- Resilience score: **70 / 100**');
  });

  it("gives the GameDay's score trend, oldest first; a run without a verdict has none, with the reason", async () => {
    const res = await stack.http.get(`/api/v1/gamedays/${gameDayId}/scores?limit=10`).set(stack.as('viewer'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ gameDayId, latest: 70, mean: 85, version: 1 });
    expect(res.body.items.map((i: { runId: string; score: number | null }) => [i.runId, i.score])).toEqual([
      [runs.held, 100],
      [runs.violated, 70],
      [runs.failed, null],
    ]);
    expect(res.body.items[2].unscoredReason).toBe('the run failed before a verdict: engine unreachable');
    const last = await stack.http.get(`/api/v1/gamedays/${gameDayId}/scores?limit=1`).set(stack.as('viewer'));
    expect(last.body.items.map((i: { runId: string }) => i.runId)).toEqual([runs.failed]);
    const bad = await stack.http.get(`/api/v1/gamedays/${gameDayId}/scores?limit=0`).set(stack.as('viewer'));
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('limit');
    expect((await stack.http.get(`/api/v1/gamedays/${randomUUID()}/scores`).set(stack.as('viewer'))).status).toBe(404);
  });

  it('CLI: prints JUnit and exits 1 for a violated hypothesis', async () => {
    const res = await runCli(['report', runs.violated, '--format', 'junit'], env);
    expect(res).toMatchObject({ code: 1, stderr: '' });
    expect(readXml(res.stdout).attributes).toMatchObject({ tests: '5', failures: '2' });
  });

  it('CLI: writes JSON by the file extension and exits 0 for a held hypothesis', async () => {
    const file = join(dir, 'held.json');
    const res = await runCli(['report', runs.held, '-o', file], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      new RegExp(
        `^wrote the json report of run ${runs.held} to .*held\\.json \\(\\d+ bytes; verdict hypothesis_held, exit 0\\)\\n$`,
      ),
    );
    expect(JSON.parse(readFileSync(file, 'utf8')).score).toMatchObject({ score: 100, deductions: [] });
  });

  it('CLI: writes JUnit for a failed run (an error testcase) and exits 2', async () => {
    const file = join(dir, 'failed.xml');
    const res = await runCli(['--output', 'json', 'report', runs.failed, '-o', file], env);
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toMatchObject({ runId: runs.failed, format: 'junit', verdict: null, exitCode: 2 });
    const doc = readXml(readFileSync(file, 'utf8'));
    expect(doc.attributes).toMatchObject({ tests: '2', failures: '0', errors: '1', skipped: '1' });
    const error = findAll(doc, 'error')[0];
    expect(error.attributes.message).toBe(
      'expected hypothesis_held (errors within 300ms), got no verdict: engine unreachable',
    );
  });
});

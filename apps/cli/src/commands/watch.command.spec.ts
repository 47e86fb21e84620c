import type { ApiClient } from '../api-client';
import { systemClock } from '@gameday/core/clock';
import type { RunDetailView, RunEventView } from '../api-types';
import { ApiError, NetworkError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { watchRun } from './watch.command';

function event(id: number, type: string): RunEventView {
  return {
    id: String(id),
    type,
    phase: null,
    experimentIndex: 0,
    plannedAt: null,
    at: '2030-01-01T10:00:00.000Z',
    message: 'something happened',
    data: null,
  };
}

function run(
  status: RunDetailView['status'],
  events: RunEventView[],
  verdict: RunDetailView['verdict'] = null,
): RunDetailView {
  return {
    id: 'r1',
    gameDayId: 'g1',
    scheduledFor: '2030-01-01T10:00:00.000Z',
    trigger: 'manual',
    status,
    gameDayVersion: 1,
    startedAt: null,
    finishedAt: null,
    verdict,
    error: null,
    spec: {},
    result: null,
    abortRequestedAt: null,
    abortReason: null,
    events,
    createdAt: '2030-01-01T09:00:00.000Z',
    updatedAt: '2030-01-01T10:00:00.000Z',
    plan: null,
    notes: [],
    summary: {
      score: null,
      deviationRatio: null,
      timeToRecoverMs: null,
      p95Ms: { baseline: null, fault: null, recovery: null },
    },
    score: { score: null, unscoredReason: 'the run has not finished (observing)', deductions: [], version: 1 },
    safetyLever: { engaged: false, reason: null, engagedAt: null, engagedBy: null },
  };
}

/** A context whose API answers with the given sequence (an Error is thrown instead of answered). */
function contextAnswering(answers: (RunDetailView | Error)[], output: 'human' | 'json' = 'human') {
  const out: string[] = [];
  const err: string[] = [];
  let calls = 0;
  const client = {
    json: async () => {
      const next = answers[Math.min(calls++, answers.length - 1)];
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as ApiClient;
  const ctx: CliContext = {
    client,
    output,
    io: { out: (t) => out.push(t), err: (t) => err.push(t), isTty: false },
    clock: systemClock,
  };
  return { ctx, out, err, calls: () => calls };
}

describe('watchRun', () => {
  const e1 = event(1, 'run.requested');
  const e2 = event(2, 'phase.arming');
  const e3 = event(3, 'run.completed');

  it('prints each event once, in order, and returns the exit code of the verdict', async () => {
    const { ctx, out } = contextAnswering([
      run('scheduled', [e1]),
      run('arming', [e1, e2]),
      run('arming', [e1, e2]),
      run('completed', [e1, e2, e3], 'hypothesis_violated'),
    ]);
    expect(await watchRun(ctx, 'r1', { intervalMs: 1 })).toBe(1);
    const types = out.join('').match(/ (run|phase)\.\w+/g);
    expect(types).toEqual([' run.requested', ' phase.arming', ' run.completed']);
    expect(out.at(-1)).toBe('run r1 completed: hypothesis_violated\nreport: gameday report r1 -o report.html\n');
  });

  it('prints one JSON object per line with --output json', async () => {
    const { ctx, out } = contextAnswering([run('aborted', [e1], 'aborted')], 'json');
    expect(await watchRun(ctx, 'r1', { intervalMs: 1 })).toBe(2);
    expect(out.map((l) => JSON.parse(l).kind)).toEqual(['event', 'result']);
    expect(JSON.parse(out[1])).toMatchObject({ runId: 'r1', status: 'aborted', verdict: 'aborted', exitCode: 2 });
  });

  it('waits out a short API outage, saying so', async () => {
    const down = new NetworkError('cannot reach the GameDay API at http://x: connect ECONNREFUSED');
    const { ctx, out } = contextAnswering([
      run('baseline', [e1]),
      down,
      down,
      run('completed', [e1, e3], 'hypothesis_held'),
    ]);
    expect(await watchRun(ctx, 'r1', { intervalMs: 1, outageMs: 10_000 })).toBe(0);
    expect(out.filter((l) => l.startsWith('(API unreachable, retrying: '))).toHaveLength(2);
  });

  it('gives up with the network error when the outage lasts too long', async () => {
    const down = new NetworkError('cannot reach the GameDay API at http://x: connect ECONNREFUSED');
    const { ctx, calls } = contextAnswering([run('baseline', [e1]), down]);
    await expect(watchRun(ctx, 'r1', { intervalMs: 5, outageMs: 30 })).rejects.toBe(down);
    expect(calls()).toBeGreaterThan(2);
  });

  it('does not retry what the API refused (an unknown run)', async () => {
    const notFound = new ApiError(404, { title: 'Not Found', detail: 'no run r1' });
    const { ctx, calls } = contextAnswering([notFound]);
    await expect(watchRun(ctx, 'r1', { intervalMs: 1 })).rejects.toBe(notFound);
    expect(calls()).toBe(1);
  });

  it('leaves no SIGINT listener behind', async () => {
    const before = process.listenerCount('SIGINT');
    await watchRun(contextAnswering([run('skipped', [])]).ctx, 'r1', { intervalMs: 1 });
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});

import { ManualClock, gameDaySpecSchema } from '@gameday/core';
import type { FiredRun, GameDay, Run, RunCreate, RunEventInput, RunStore } from '@gameday/db';
import { createMetrics } from '@gameday/metrics';
import type { RunLauncher } from '../launch/run-launcher';
import { FireService } from './fire.service';

/** The firing rules with in-memory stores: which occurrences become runs, skips or nothing. */
const ID = '00000000-0000-4000-8000-000000000001';
const AT = new Date('2030-01-07T10:00:00.000Z'); // a Monday

function spec(overrides: Record<string, unknown> = {}) {
  return gameDaySpecSchema.parse({
    name: 'g',
    timezone: 'UTC',
    schedule: { at: AT.toISOString() },
    experiments: [
      {
        name: 'e',
        hypothesis: { description: 'd', probes: [{ name: 'p', url: 'http://127.0.0.1:1/', timeoutMs: 100 }] },
        fault: { kind: 'network', target: { container: 'c' }, netem: { delay: '10ms' } },
        durations: { baseline: '1s', fault: '1s', recovery: '1s' },
      },
    ],
    ...overrides,
  });
}

function setup(specValue = spec(), status: GameDay['status'] = 'active', now = AT, leverReason: string | null = null) {
  const cron = 'cron' in specValue.schedule;
  const gameDay = { id: ID, status, version: 3, spec: specValue, runAt: cron ? null : AT } as unknown as GameDay;
  const runs: (RunCreate & { events: RunEventInput[]; streak?: string; folded: number })[] = [];
  const firings: { nextRunAt: Date | null; finished: boolean }[] = [];
  const launched: string[] = [];
  const gameDays = {
    findById: async (id: string) => (id === ID ? gameDay : null),
    findManyById: async (ids: readonly string[]) => new Map(ids.includes(ID) ? [[ID, gameDay]] : []),
    recordFiring: async (_id: string, nextRunAt: Date | null, finished: boolean) =>
      void firings.push({ nextRunAt, finished }),
  };
  const runStore = {
    // the repository's streak rule in small: a skip with the latest run's cause is counted there
    createForFiring: async (data: RunCreate, event: RunEventInput, streak?: string) => {
      if (data.gameDayVersion !== gameDay.version) return 'superseded' as const;
      if (runs.some((r) => r.scheduledFor.getTime() === data.scheduledFor.getTime())) return null;
      const latest = runs[runs.length - 1];
      if (streak !== undefined && latest?.status === 'skipped' && latest.streak === streak) {
        latest.folded++;
        return { folded: { id: `run-${runs.length}` } as Run, occurrences: latest.folded + 1 };
      }
      runs.push({ ...data, events: [event], streak, folded: 0 });
      return { ...data, id: `run-${runs.length}`, createdAt: now } as unknown as Run;
    },
    // the batch's rules in small: created where the version holds, nothing live, not fired before
    createFired: async (items: readonly FiredRun[]) => {
      batches.push(items.length);
      return items.map(({ run, event, nextRunAt, finished }) => {
        if (run.gameDayVersion !== gameDay.version || runs.some((r) => r.status === 'scheduled')) return null;
        runs.push({ ...run, status: 'scheduled', spec: gameDay.spec!, events: [event], folded: 0 });
        firings.push({ nextRunAt, finished });
        return { ...run, id: `run-${runs.length}`, createdAt: now } as unknown as Run;
      });
    },
    findById: async () => null,
  };
  const batches: number[] = [];
  const launcher: RunLauncher = { launch: async (run) => void launched.push(run.id) };
  const service = new FireService(
    gameDays,
    // one function for both overloads of createForFiring (the streak one may fold)
    runStore as unknown as Pick<RunStore, 'createForFiring' | 'createFired' | 'findById'>,
    launcher,
    new ManualClock(now),
    createMetrics({ defaults: false }),
    {
      get: async () => ({
        engaged: leverReason !== null,
        reason: leverReason,
        engagedAt: null,
        engagedBy: null,
        releasedAt: null,
        releasedBy: null,
      }),
    },
  );
  return { service, runs, firings, launched, gameDay, runStore, batches };
}

describe('FireService', () => {
  it('an edit that lands between its read and the row lock: the run snapshots the new version', async () => {
    const { service, runs, gameDay, runStore } = setup();
    const create = runStore.createForFiring;
    let edited = false;
    runStore.createForFiring = async (data, event) => {
      if (!edited) {
        edited = true;
        Object.assign(gameDay, { version: 4, spec: { ...spec(), description: 'edited' } });
      }
      return create(data, event);
    };
    expect(await service.fire({ gameDayId: ID, version: 3 }, AT)).toMatchObject({ outcome: 'launched' });
    expect(runs).toHaveLength(1);
    expect(runs[0].gameDayVersion).toBe(4);
    expect(runs[0].spec).toMatchObject({ description: 'edited' });
  });

  it('records an occurrence due while the safety lever is engaged as skipped, with the reason', async () => {
    const { service, runs, launched } = setup(spec(), 'active', AT, 'checkout is down');
    const outcome = await service.fire({ gameDayId: ID, version: 3 }, AT);
    expect(outcome).toMatchObject({ outcome: 'skipped', reason: 'safety lever engaged: checkout is down' });
    expect(runs[0]).toMatchObject({ status: 'skipped', error: 'safety lever engaged: checkout is down' });
    expect(runs[0].events[0].data).toMatchObject({ reason: 'safety_lever' });
    expect(launched).toEqual([]);
  });

  it('creates one run for an on-time occurrence, snapshots the spec and launches it', async () => {
    const { service, runs, firings, launched } = setup();
    expect(await service.fire({ gameDayId: ID, version: 3 }, AT)).toEqual({
      outcome: 'launched',
      runId: 'run-1',
      trigger: 'schedule',
    });
    expect(runs[0]).toMatchObject({ status: 'scheduled', trigger: 'schedule', gameDayVersion: 3, scheduledFor: AT });
    expect(runs[0].spec).toMatchObject({ name: 'g' });
    expect(firings).toEqual([{ nextRunAt: null, finished: true }]);
    expect(launched).toEqual(['run-1']);
  });

  it('reports a duplicate when the occurrence already has a run, and launches nothing', async () => {
    const { service, launched } = setup();
    await service.fire({ gameDayId: ID, version: 3 }, AT);
    expect(await service.fire({ gameDayId: ID, version: 3 }, AT)).toEqual({ outcome: 'duplicate' });
    expect(launched).toHaveLength(1);
  });

  it.each<[string, ReturnType<typeof setup>, Date, RegExp]>([
    ['unknown GameDay', setup(), AT, /no longer exists/],
    ['cancelled GameDay', setup(spec(), 'cancelled'), AT, /cancelled/],
    [
      'occurrence no longer in the schedule (rescheduled)',
      setup(),
      new Date(AT.getTime() - 60_000),
      /not in the current schedule/,
    ],
  ])('ignores: %s', async (label, ctx, at, reason) => {
    const id = label === 'unknown GameDay' ? '00000000-0000-4000-8000-000000000002' : ID;
    const outcome = await ctx.service.fire({ gameDayId: id, version: 1 }, at);
    expect(outcome).toEqual({ outcome: 'ignored', reason: expect.stringMatching(reason) });
    expect(ctx.runs).toHaveLength(0);
  });

  it('skips and records an occurrence inside a blackout', async () => {
    const { service, runs, launched } = setup(
      spec({
        blackouts: [{ name: 'freeze', timezone: 'UTC', weekly: { days: ['mon'], start: '00:00', end: '24:00' } }],
      }),
    );
    const outcome = await service.fire({ gameDayId: ID, version: 3 }, AT);
    expect(outcome).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/blackout "freeze"/) });
    expect(runs[0]).toMatchObject({ status: 'skipped' });
    expect(runs[0].events[0]).toMatchObject({ type: 'occurrence.skipped', data: { reason: 'blackout' } });
    expect(launched).toEqual([]);
  });

  it('names the cause of a skip, so consecutive ones of one cause share a row: a blackout window', async () => {
    const { service, runs, firings } = setup(
      spec({
        schedule: { cron: '* * * * * *', timezone: 'UTC' },
        blackouts: [{ name: 'freeze', timezone: 'UTC', weekly: { days: ['mon'], start: '00:00', end: '24:00' } }],
      }),
    );
    const first = await service.fire({ gameDayId: ID, version: 3 }, AT);
    const second = await service.fire({ gameDayId: ID, version: 3 }, new Date(AT.getTime() + 1000));
    expect(second).toEqual({
      outcome: 'skipped',
      runId: (first as { runId: string }).runId,
      reason: expect.any(String),
    });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      folded: 1,
      streak: 'blackout:blackout "freeze" covers 2030-01-07T00:00:00.000Z – 2030-01-08T00:00:00.000Z (UTC)',
    });
    // the GameDay still shows its next occurrence after a folded one
    expect(firings.map((f) => f.nextRunAt?.toISOString())).toEqual([
      '2030-01-07T10:00:01.000Z',
      '2030-01-07T10:00:02.000Z',
    ]);
  });

  it('names the cause of a skip: one engagement of the safety lever', async () => {
    const { service, runs } = setup(spec(), 'active', AT, 'checkout is down');
    await service.fire({ gameDayId: ID, version: 3 }, AT);
    // keyed by the engagement's instant; this fake lever has none, so by its reason
    expect(runs[0].streak).toBe('safety_lever:safety lever engaged: checkout is down');
  });

  it.each<[string, { mode: 'run_late' | 'skip'; deadline: string }, number, string, string]>([
    ['late within deadline runs as catch_up', { mode: 'run_late', deadline: '10m' }, 60_000, 'launched', 'catch_up'],
    ['late beyond deadline is skipped', { mode: 'run_late', deadline: '30s' }, 60_000, 'skipped', 'schedule'],
    ['late with policy skip is skipped', { mode: 'skip', deadline: '1h' }, 60_000, 'skipped', 'schedule'],
    ['queue latency is on time', { mode: 'skip', deadline: '1h' }, 200, 'launched', 'schedule'],
  ])('missed-run policy: %s', async (_label, missedRunPolicy, lateMs, outcome, trigger) => {
    const { service, runs } = setup(
      spec({ schedule: { at: AT.toISOString(), missedRunPolicy } }),
      'active',
      new Date(AT.getTime() + lateMs),
    );
    expect((await service.fire({ gameDayId: ID, version: 3 }, AT)).outcome).toBe(outcome);
    expect(runs[0].trigger).toBe(trigger);
  });

  it('a recurring GameDay records its next occurrence and stays active', async () => {
    const { service, firings } = setup(spec({ schedule: { cron: '0 10 * * MON', timezone: 'UTC' } }));
    await service.fire({ gameDayId: ID, version: 3 }, AT);
    expect(firings).toEqual([{ nextRunAt: new Date('2030-01-14T10:00:00.000Z'), finished: false }]);
  });

  describe('fireMany: occurrences taken together', () => {
    const job = { gameDayId: ID, version: 3 };

    it('creates the runs in one batch and launches them, as a lone firing would', async () => {
      const { service, runs, firings, launched, batches } = setup();
      const unknown = { gameDayId: '00000000-0000-4000-8000-000000000002', version: 1 };
      const outcomes = await service.fireMany([
        { job, scheduledFor: AT },
        { job: unknown, scheduledFor: AT },
      ]);
      expect(outcomes).toEqual([
        { outcome: 'launched', runId: 'run-1', trigger: 'schedule' },
        { outcome: 'ignored', reason: 'GameDay no longer exists' },
      ]);
      expect(batches).toEqual([1]);
      expect(runs[0]).toMatchObject({ status: 'scheduled', gameDayVersion: 3, scheduledFor: AT });
      expect(runs[0].events[0]).toMatchObject({ type: 'occurrence.fired', data: { lateMs: 0, trigger: 'schedule' } });
      expect(firings).toEqual([{ nextRunAt: null, finished: true }]);
      expect(launched).toEqual(['run-1']);
    });

    it('fires alone what the batch cannot take: a second occurrence of one GameDay, a skip, one not created', async () => {
      const cron = setup(spec({ schedule: { cron: '* * * * * *', timezone: 'UTC' } }));
      const second = new Date(AT.getTime() + 1000);
      const outcomes = await cron.service.fireMany([
        { job, scheduledFor: AT },
        { job, scheduledFor: second },
      ]);
      // neither in the batch: each fired alone (where the repository orders them under the row lock)
      expect(cron.batches).toEqual([]);
      expect(outcomes).toEqual([
        expect.objectContaining({ outcome: 'launched' }),
        expect.objectContaining({ outcome: 'launched' }),
      ]);
      expect(cron.runs.map((r) => r.scheduledFor)).toEqual(expect.arrayContaining([AT, second]));

      const lever = setup(spec(), 'active', AT, 'checkout is down');
      expect(await lever.service.fireMany([{ job, scheduledFor: AT }])).toEqual([
        expect.objectContaining({ outcome: 'skipped', reason: 'safety lever engaged: checkout is down' }),
      ]);
      expect(lever.batches).toEqual([]);

      const again = setup();
      await again.service.fire(job, AT);
      expect(await again.service.fireMany([{ job, scheduledFor: AT }])).toEqual([{ outcome: 'duplicate' }]);
      expect(again.batches).toEqual([1]);
      expect(again.launched).toEqual(['run-1']);
    });

    it('a batch that fails fires each alone; one that fails alone fails alone', async () => {
      const { service, runStore, launched } = setup();
      runStore.createFired = async () => {
        throw new Error('connection lost');
      };
      expect(await service.fireMany([{ job, scheduledFor: AT }])).toEqual([
        { outcome: 'launched', runId: 'run-1', trigger: 'schedule' },
      ]);
      expect(launched).toEqual(['run-1']);

      const broken = setup();
      broken.runStore.createFired = async () => {
        throw new Error('connection lost');
      };
      broken.runStore.createForFiring = async () => {
        throw new Error('connection lost');
      };
      const [outcome] = await broken.service.fireMany([{ job, scheduledFor: AT }]);
      expect(outcome).toBeInstanceOf(Error);
    });
  });
});

import { CLOCK } from '@gameday/config';
import { ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import {
  type Clock,
  type GameDaySpec,
  fieldErrors,
  findBlackout,
  gameDaySpecSchema,
  isCronSchedule,
  nextOccurrence,
  runDurationMs,
} from '@gameday/core';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import {
  GameDayRepository,
  LIVE_RUN_STATUSES,
  type GameDay,
  type GameDayCreate,
  type Prisma,
  RunRepository,
} from '@gameday/db';
import { EgressGuard } from '@gameday/probes';
import { ScheduleSync } from '@gameday/queue';
import type { Principal } from '../auth/auth.decorators';
import { PROBLEM_TYPES, ProblemException, validationProblem } from '../common/problem';
import { SPEC_FIELDS, type GameDayListQuery } from './gameday.schemas';
import { assertAllowedByPolicy, assertAllowedForRole } from './gameday-policy.check';
import { checkSchedule } from './gameday-schedule.check';
import { keepStoredSecrets } from './stored-secrets';

@Injectable()
export class GameDaysService {
  private readonly logger = new Logger(GameDaysService.name);

  constructor(
    private readonly gameDays: GameDayRepository,
    private readonly runs: RunRepository,
    private readonly sync: ScheduleSync,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EgressGuard) private readonly egress: EgressGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(spec: GameDaySpec, principal: Principal): Promise<GameDay> {
    assertAllowedForRole(spec, principal);
    await assertAllowedByPolicy(spec, this.config, this.egress);
    const now = this.clock.now().getTime();
    const nextRunAt = checkSchedule(spec, now);
    const row = await this.gameDays.create({
      ...columnsOf(spec),
      nextRunAt: nextRunAt === null ? null : new Date(nextRunAt),
      createdById: principal.tokenId,
    });
    try {
      await this.sync.sync(row);
    } catch (error) {
      // nothing half-applied: a GameDay the queue does not know about must not exist
      await this.removeUnscheduled(row.id);
      throw unavailable('could not schedule the GameDay (Redis)', error);
    }
    return row;
  }

  async get(id: string): Promise<GameDay> {
    const row = await this.gameDays.findById(id);
    if (!row) throw new NotFoundException(`no GameDay ${id}`);
    return row;
  }

  list(query: GameDayListQuery) {
    const { limit, cursor, ...filter } = query;
    return this.gameDays.list(filter, limit, cursor);
  }

  async patch(id: string, patch: Record<string, unknown>, principal: Principal): Promise<GameDay> {
    const current = await this.get(id);
    if (current.status === 'cancelled') throw notActive(current);
    const unknown = Object.keys(patch)
      .filter((k) => !SPEC_FIELDS.has(k))
      .map((field) => ({ field, message: 'unknown field' }));
    // secrets read back as placeholders stay what they were
    const restored = keepStoredSecrets(
      Object.fromEntries(Object.entries(patch).filter(([k]) => SPEC_FIELDS.has(k))),
      current.spec as unknown as GameDaySpec,
    );
    const known = restored.patch;
    const parsed = gameDaySpecSchema.safeParse({ ...(current.spec as object), ...known });
    const errors = [...(parsed.success ? [] : fieldErrors(parsed.error)), ...unknown, ...restored.errors];
    if (errors.length > 0 || !parsed.success) throw validationProblem(errors);
    const spec = parsed.data;
    assertAllowedForRole(spec, principal, current.spec as unknown as GameDaySpec);
    await assertAllowedByPolicy(spec, this.config, this.egress);
    const now = this.clock.now().getTime();
    // a finished one-shot given a new schedule is planned again
    const status = current.status === 'finished' && 'schedule' in known ? 'active' : current.status;
    // an unchanged schedule is not re-judged against "now" (a recurring one keeps running)
    const rejudge =
      status === 'active' && ['schedule', 'blackouts', 'participants', 'experiments'].some((k) => k in known);
    const nextRunAt = rejudge ? checkSchedule(spec, now) : status === 'active' ? nextOccurrenceOf(spec, now) : null;
    const updated = await this.gameDays.updateUnlessRunning(id, {
      ...columnsOf(spec),
      status,
      nextRunAt: nextRunAt === null ? null : new Date(nextRunAt),
    });
    if (updated === 'not_found') throw new NotFoundException(`no GameDay ${id}`);
    if (updated === 'active_run') {
      throw new ProblemException({
        type: PROBLEM_TYPES.activeRun,
        title: 'Conflict',
        status: 409,
        detail: 'a run of this GameDay is in progress; edit it after the run ends (or abort the run)',
      });
    }
    await this.syncOrFail(updated);
    return updated;
  }

  /**
   * Cancels future occurrences; runs already recorded stay as history. A GameDay with a live run
   * (fired and not ended) is not cancelled under it: 409, abort the run first.
   */
  async cancel(id: string): Promise<GameDay> {
    const current = await this.get(id);
    if (current.status === 'cancelled') return current;
    const updated = await this.gameDays.updateUnlessRunning(
      id,
      { status: 'cancelled', cancelledAt: this.clock.now(), nextRunAt: null },
      LIVE_RUN_STATUSES,
    );
    if (updated === 'not_found') throw new NotFoundException(`no GameDay ${id}`);
    if (updated === 'active_run') {
      throw new ProblemException({
        type: PROBLEM_TYPES.activeRun,
        title: 'Conflict',
        status: 409,
        detail:
          'a run of this GameDay is live (fired and not ended); abort it (POST /api/v1/runs/:id/abort), then delete the GameDay',
      });
    }
    await this.syncOrFail(updated);
    return updated;
  }

  /** Run now: a manual run of the current spec, launched by the worker. */
  async runNow(id: string) {
    const gameDay = await this.get(id);
    if (gameDay.status === 'cancelled') throw notActive(gameDay);
    const spec = gameDay.spec as unknown as GameDaySpec;
    const now = this.clock.now();
    const blackout = findBlackout(spec.blackouts, { start: now.getTime(), end: now.getTime() + runDurationMs(spec) });
    if (blackout) {
      throw new ProblemException({
        type: PROBLEM_TYPES.calendar,
        title: 'Unprocessable Content',
        status: 422,
        detail: `a run now would fall in ${blackout.reason}`,
        errors: [{ field: `blackouts[${blackout.index}]`, message: blackout.reason }],
      });
    }
    if (await this.runs.hasActiveRun(id)) {
      throw new ProblemException({
        type: PROBLEM_TYPES.activeRun,
        title: 'Conflict',
        status: 409,
        detail: 'a run of this GameDay is already in progress',
      });
    }
    const run = await this.runs.createForFiring(
      {
        gameDayId: id,
        scheduledFor: now,
        trigger: 'manual',
        status: 'scheduled',
        spec: gameDay.spec as Prisma.InputJsonValue,
        gameDayVersion: gameDay.version,
      },
      { type: 'run.requested', phase: 'scheduled', message: 'run requested through the API (run now)' },
    );
    if (run === 'superseded')
      throw new ConflictException('the GameDay was edited or cancelled while the run was being created; retry');
    if (!run) throw new ConflictException('a run for this instant already exists; retry');
    if ('liveRunId' in run)
      throw new ProblemException({
        type: PROBLEM_TYPES.activeRun,
        title: 'Conflict',
        status: 409,
        detail: `run ${run.liveRunId} of this GameDay is still ${run.liveStatus}: one live run per GameDay`,
      });
    return run;
  }

  /** Blind mode: reveals the fault to viewers (idempotent; the first reveal time stays). */
  async reveal(id: string, by: string): Promise<GameDay> {
    const current = await this.get(id);
    if (current.mode !== 'blind') {
      throw new ProblemException({
        type: PROBLEM_TYPES.notBlind,
        title: 'Conflict',
        status: 409,
        detail: 'the GameDay is announced: its fault is not hidden, there is nothing to reveal',
      });
    }
    const revealed = await this.gameDays.reveal(id, this.clock.now(), by);
    if (!revealed) throw new NotFoundException(`no GameDay ${id}`);
    return revealed;
  }

  private async syncOrFail(row: GameDay): Promise<void> {
    try {
      await this.sync.sync(row);
    } catch (error) {
      throw unavailable(
        'saved, but the queue could not be updated (Redis); the worker re-syncs every GameDay when it starts',
        error,
      );
    }
  }

  private async removeUnscheduled(id: string): Promise<void> {
    await this.gameDays
      .deleteUnused(id)
      .catch((e: Error) => this.logger.error(`could not remove unscheduled GameDay ${id}: ${e.message}`));
  }
}

function nextOccurrenceOf(spec: GameDaySpec, now: number): number | null {
  return nextOccurrence(spec.schedule, now);
}

/** The queried columns of a GameDay row, derived from its spec. */
export function columnsOf(spec: GameDaySpec): Omit<GameDayCreate, 'nextRunAt' | 'createdById'> {
  const s = spec.schedule;
  const cron = isCronSchedule(s);
  return {
    name: spec.name,
    description: spec.description ?? null,
    champion: spec.champion ?? null,
    environment: spec.environment ?? null,
    mode: spec.mode,
    timezone: spec.timezone,
    scheduleKind: cron ? 'cron' : 'at',
    runAt: cron ? null : new Date(s.at),
    cron: cron ? s.cron : null,
    cronTimezone: cron ? s.timezone : null,
    startsAt: cron && s.startsAt ? new Date(s.startsAt) : null,
    endsAt: cron && s.endsAt ? new Date(s.endsAt) : null,
    spec: spec as unknown as Prisma.InputJsonValue,
  };
}

function notActive(g: GameDay): ProblemException {
  return new ProblemException({
    type: PROBLEM_TYPES.notActive,
    title: 'Conflict',
    status: 409,
    detail: `the GameDay is ${g.status}`,
  });
}

function unavailable(detail: string, error: unknown): ProblemException {
  return new ProblemException({
    type: PROBLEM_TYPES.unavailable,
    title: 'Service Unavailable',
    status: 503,
    detail: `${detail}: ${(error as Error).message}`,
  });
}

import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CLOCK } from '@gameday/config';
import { gameDaySpecSchema, sampleWarnings, type Clock, type GameDaySpec } from '@gameday/core';
import type { GameDay } from '@gameday/db';
import { RunRepository } from '@gameday/db';
import { JOB_OPTIONS, RUN_QUEUE, JOBS, engineOf, jobIds, type LaunchJob } from '@gameday/queue';
import type { Queue } from 'bullmq';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/auth.decorators';
import { PROBLEM_TYPES, ProblemException } from '../common/problem';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { SafetyLeverService } from '../safety/safety-lever.service';
import { DryRunRateLimiter } from './dry-run-rate-limiter.service';
import { DryRunService } from './dry-run.service';
import {
  gameDayListQuerySchema,
  gameDayPatchSchema,
  runListQuerySchema,
  scoreTrendQuerySchema,
  type GameDayListQuery,
  type RunListQuery,
  type ScoreTrendQuery,
} from './gameday.schemas';
import { idSchema } from '../common/id.schema';
import { runView } from '../common/run.view';
import { blindTo, redactContainerLabels, redactHostDetails } from '../common/visibility';
import { runPageSchema, runViewSchema } from '../common/response.schemas';
import {
  dryRunReportSchema,
  gameDayPageSchema,
  RECENT_RUNS_IN_LIST,
  gameDayReadSchema,
  gameDayViewSchema,
  gameDayWriteSchema,
  scoreTrendSchema,
} from './gameday-responses';
import { scoreTrendView } from './score-trend.view';
import { gameDayView } from './gameday.view';
import { GameDaysService } from './gamedays.service';

const validated = { pipes: [ZodValidationPipe] };

/** What a write answers: the GameDay and what its spec will probably regret (never a refusal). */
function written(g: GameDay, principal: Principal, now: Date) {
  return {
    ...gameDayView(g, principal, now),
    warnings: sampleWarnings((g.spec as unknown as GameDaySpec).experiments),
  };
}

@ApiTags('gamedays')
@ApiBearerAuth()
@Controller('api/v1/gamedays')
export class GameDaysController {
  constructor(
    private readonly service: GameDaysService,
    private readonly runs: RunRepository,
    @Inject(RUN_QUEUE) private readonly runQueue: Queue,
    private readonly dryRuns: DryRunService,
    private readonly dryRunLimit: DryRunRateLimiter,
    private readonly lever: SafetyLeverService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @RequireRole('operator')
  @ApiCreatedResponse({ description: 'the GameDay, with `warnings`', standardSchema: gameDayWriteSchema })
  async create(
    @Body({ schema: gameDaySpecSchema, ...validated }) spec: GameDaySpec,
    @CurrentPrincipal() principal: Principal,
  ) {
    return written(await this.service.create(spec, principal), principal, this.clock.now());
  }

  @Get()
  @RequireRole('viewer')
  @ApiOkResponse({ standardSchema: gameDayPageSchema })
  async list(
    @Query({ schema: gameDayListQuerySchema, ...validated }) query: GameDayListQuery,
    @CurrentPrincipal() principal: Principal,
  ) {
    const [page, safetyLever] = await Promise.all([this.service.list(query), this.lever.view()]);
    const recent = await this.runs.recentOf(
      page.items.map((g) => g.id),
      RECENT_RUNS_IN_LIST,
    );
    const now = this.clock.now();
    return {
      items: page.items.map((g) => ({
        ...gameDayView(g, principal, now),
        safetyLever,
        recentRuns: recent.get(g.id) ?? [],
      })),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':id')
  @RequireRole('viewer')
  @ApiOkResponse({ standardSchema: gameDayReadSchema })
  async get(@Param('id', { schema: idSchema, ...validated }) id: string, @CurrentPrincipal() principal: Principal) {
    const [gameDay, safetyLever] = await Promise.all([this.service.get(id), this.lever.view()]);
    return { ...gameDayView(gameDay, principal, this.clock.now()), safetyLever };
  }

  @Patch(':id')
  @RequireRole('operator')
  @ApiOkResponse({ description: 'the GameDay, with `warnings`', standardSchema: gameDayWriteSchema })
  async patch(
    @Param('id', { schema: idSchema, ...validated }) id: string,
    @Body({ schema: gameDayPatchSchema, ...validated }) patch: Record<string, unknown>,
    @CurrentPrincipal() principal: Principal,
  ) {
    return written(await this.service.patch(id, patch, principal), principal, this.clock.now());
  }

  @Delete(':id')
  @RequireRole('operator')
  @ApiOkResponse({ description: 'the cancelled GameDay', standardSchema: gameDayViewSchema })
  async cancel(@Param('id', { schema: idSchema, ...validated }) id: string, @CurrentPrincipal() principal: Principal) {
    return gameDayView(await this.service.cancel(id), principal, this.clock.now());
  }

  @Post(':id/runs')
  @RequireRole('operator')
  @HttpCode(201)
  @ApiCreatedResponse({ description: 'the run, launching', standardSchema: runViewSchema })
  async runNow(@Param('id', { schema: idSchema, ...validated }) id: string, @CurrentPrincipal() principal: Principal) {
    await this.lever.assertReleased('launching a run');
    const run = await this.service.runNow(id);
    const job: LaunchJob = { runId: run.id };
    await this.runQueue.add(JOBS.launch, job, { jobId: jobIds.launch(run.id), ...JOB_OPTIONS.launch });
    return runView(run, principal);
  }

  @Get(':id/runs')
  @RequireRole('viewer')
  @ApiOkResponse({ standardSchema: runPageSchema })
  async listRuns(
    @Param('id', { schema: idSchema, ...validated }) id: string,
    @Query({ schema: runListQuerySchema, ...validated }) query: RunListQuery,
    @CurrentPrincipal() principal: Principal,
  ) {
    const gameDay = await this.service.get(id);
    const [page, safetyLever] = await Promise.all([
      this.runs.listForGameDay(id, query.limit, query.cursor),
      this.lever.view(),
    ]);
    return {
      items: page.items.map((r) => ({ ...runView(r, principal, gameDay), safetyLever })),
      nextCursor: page.nextCursor,
    };
  }

  /** The resilience score of the latest finished runs, oldest first: is the system getting better? */
  @Get(':id/scores')
  @RequireRole('viewer')
  @ApiOkResponse({ standardSchema: scoreTrendSchema })
  async scoreTrend(
    @Param('id', { schema: idSchema, ...validated }) id: string,
    @Query({ schema: scoreTrendQuerySchema, ...validated }) query: ScoreTrendQuery,
    @CurrentPrincipal() principal: Principal,
  ) {
    await this.service.get(id); // 404 for an unknown GameDay
    return scoreTrendView(id, await this.runs.listFinished(id, query.limit), principal);
  }

  /** Blind mode: the champion reveals the fault; from then on viewers see every detail. */
  @Post(':id/reveal')
  @RequireRole('operator')
  @HttpCode(200)
  @ApiOkResponse({ standardSchema: gameDayViewSchema })
  async reveal(@Param('id', { schema: idSchema, ...validated }) id: string, @CurrentPrincipal() principal: Principal) {
    return gameDayView(await this.service.reveal(id, principal.name), principal, this.clock.now());
  }

  /**
   * What the GameDay would do now, applied nowhere: per experiment the resolved targets, the
   * refused candidates with reasons and the exact apply / verify / revert argv. Answered by a
   * worker (the API never touches Docker); 504 when none answers in time.
   */
  @Post(':id/dry-run')
  @RequireRole('viewer')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      "DryRunReport: the targets and exact commands per experiment, the arming a run would reserve on the engine now, and `warnings` (windows too short for minSamples at the probes' interval)",
    standardSchema: dryRunReportSchema,
  })
  async dryRun(@Param('id', { schema: idSchema, ...validated }) id: string, @CurrentPrincipal() principal: Principal) {
    this.dryRunLimit.take(principal, this.clock.monotonicMs());
    const gameDay = await this.service.get(id);
    if (blindTo(gameDay, principal)) {
      throw new ProblemException({
        type: PROBLEM_TYPES.blindHidden,
        title: 'Forbidden',
        status: 403,
        detail: 'a blind GameDay hides its fault from viewers until the champion reveals it',
      });
    }
    const report = await this.dryRuns.dryRun(id, engineOf(gameDay.spec));
    return {
      ...report,
      experiments: report.experiments.map((e) => ({
        ...e,
        result: redactHostDetails(redactContainerLabels(e.result), principal),
        error: redactHostDetails(e.error, principal),
      })),
    };
  }
}

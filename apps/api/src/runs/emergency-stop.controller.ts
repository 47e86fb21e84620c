import { Body, Controller, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { abortAllAnswerSchema, abortAnswerSchema } from '../common/response.schemas';
import { CLOCK } from '@gameday/config';
import type { Clock } from '@gameday/core';
import { RunRepository } from '@gameday/db';
import { z } from 'zod';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/auth.decorators';
import { PROBLEM_TYPES, ProblemException } from '../common/problem';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { idSchema } from '../common/id.schema';
import { AbortRequests } from './abort-requests.service';

export const abortRequestSchema = z
  .strictObject({
    reason: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters').optional(),
  })
  .default({})
  .meta({ id: 'AbortRequest' });
type AbortRequest = z.infer<typeof abortRequestSchema>;

/**
 * Emergency stop. The request is recorded in Postgres first (the lifecycle stops at its next step,
 * the reapers revert from the record), then an abort job is queued best effort on the abort queue,
 * which any worker takes to revert the faults of the run — or of every run — from the lease
 * ledger at once. The API itself never touches Docker. `queued: false` in the answer says the job
 * could not be queued (Redis down); the stop lands anyway.
 */
@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1')
export class EmergencyStopController {
  constructor(
    private readonly runs: RunRepository,
    private readonly aborts: AbortRequests,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('runs/:id/abort')
  @RequireRole('operator')
  @HttpCode(202)
  @ApiAcceptedResponse({ standardSchema: abortAnswerSchema })
  async abort(
    @Param('id', { schema: idSchema, pipes: [ZodValidationPipe] }) id: string,
    @Body({ schema: abortRequestSchema, pipes: [ZodValidationPipe] }) body: AbortRequest,
    @CurrentPrincipal() principal: Principal,
  ) {
    const requestedAt = this.clock.now();
    const reason = body.reason ?? `aborted by ${principal.name}`;
    const outcome = await this.runs.requestAbort(id, requestedAt, reason);
    if (outcome === 'not_found') throw new NotFoundException(`no run ${id}`);
    if (outcome === 'ended')
      throw new ProblemException({
        type: PROBLEM_TYPES.runEnded,
        title: 'Conflict',
        status: 409,
        detail: 'the run has already ended; nothing to abort',
      });
    // a repeated request queues another revert pass: reverting is idempotent and cheap
    const queued = await this.aborts.enqueue({ runId: id, requestedAt: requestedAt.toISOString(), reason });
    return { runId: id, status: outcome, requestedAt, queued };
  }

  @Post('abort-all')
  @RequireRole('operator')
  @HttpCode(202)
  @ApiAcceptedResponse({ standardSchema: abortAllAnswerSchema })
  async abortAll(
    @Body({ schema: abortRequestSchema, pipes: [ZodValidationPipe] }) body: AbortRequest,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.aborts.abortAll(body.reason ?? `emergency stop by ${principal.name}`, this.clock.now());
  }
}

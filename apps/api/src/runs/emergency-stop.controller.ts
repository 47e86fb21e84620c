import { Body, Controller, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RunRepository } from '@gameday/db';
import { FAULT_JOBS, FAULT_QUEUE, type AbortJob, abortJobSchema } from '@gameday/queue';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/auth.decorators';
import { PROBLEM_TYPES, ProblemException } from '../common/problem';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { idSchema } from '../gamedays/gameday.schemas';

export const abortRequestSchema = z
  .strictObject({
    reason: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters').optional(),
  })
  .default({})
  .meta({ id: 'AbortRequest' });
type AbortRequest = z.infer<typeof abortRequestSchema>;

/** Reverts are retried hard: an emergency stop must not give up while a fault is applied. */
const ABORT_JOB_OPTIONS = {
  attempts: 20,
  backoff: { type: 'fixed', delay: 1_000 },
  priority: 1,
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * Emergency stop. The API records the request on the run (the lifecycle stops at its next step)
 * and queues an abort job on the fault queue, which any worker takes to revert the faults of the
 * run — or of every run — from the lease ledger at once. The API itself never touches Docker.
 */
@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1')
export class EmergencyStopController {
  constructor(
    private readonly runs: RunRepository,
    @Inject(FAULT_QUEUE) private readonly faultQueue: Queue,
  ) {}

  @Post('runs/:id/abort')
  @RequireRole('operator')
  @HttpCode(202)
  async abort(
    @Param('id', { schema: idSchema, pipes: [ZodValidationPipe] }) id: string,
    @Body({ schema: abortRequestSchema, pipes: [ZodValidationPipe] }) body: AbortRequest,
    @CurrentPrincipal() principal: Principal,
  ) {
    const requestedAt = new Date();
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
    await this.enqueue({ runId: id, requestedAt: requestedAt.toISOString(), reason });
    return { runId: id, status: outcome, requestedAt };
  }

  @Post('abort-all')
  @RequireRole('operator')
  @HttpCode(202)
  async abortAll(
    @Body({ schema: abortRequestSchema, pipes: [ZodValidationPipe] }) body: AbortRequest,
    @CurrentPrincipal() principal: Principal,
  ) {
    const requestedAt = new Date();
    const reason = body.reason ?? `emergency stop by ${principal.name}`;
    // the job first: it reverts every open lease, including any whose run is long gone
    await this.enqueue({ requestedAt: requestedAt.toISOString(), reason });
    const runIds = await this.runs.requestAbortAll(requestedAt, reason);
    return { runIds, requestedAt };
  }

  private async enqueue(job: AbortJob): Promise<void> {
    await this.faultQueue.add(FAULT_JOBS.abort, abortJobSchema.parse(job), ABORT_JOB_OPTIONS);
  }
}

import { Body, Controller, HttpCode, Inject, Logger, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RunRepository } from '@gameday/db';
import { ABORT_QUEUE, FAULT_JOBS, type AbortJob, abortJobSchema } from '@gameday/queue';
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

/**
 * Reverts are retried hard: an emergency stop must not give up while a fault is applied. No
 * `priority`: BullMQ runs prioritized jobs after every non-prioritized one; the abort queue holds
 * nothing but aborts instead.
 */
const ABORT_JOB_OPTIONS = {
  attempts: 20,
  backoff: { type: 'fixed', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/** The queue only speeds the stop up; waiting longer for a Redis that is down would delay the answer. */
const ENQUEUE_TIMEOUT_MS = 1_000;

/**
 * Emergency stop. The API records the request in Postgres first (abortRequestedAt on the run):
 * executors poll it and reapers revert the leases of aborted runs from it, so the stop lands with
 * Redis down. Then, best effort, it queues an abort job on the abort queue, which any worker takes
 * at once to revert the faults of the run — or of every run — from the lease ledger. The API
 * itself never touches Docker. `queued: false` in the answer says the job could not be queued.
 */
@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1')
export class EmergencyStopController {
  private readonly logger = new Logger(EmergencyStopController.name);

  constructor(
    private readonly runs: RunRepository,
    @Inject(ABORT_QUEUE) private readonly abortQueue: Queue,
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
    const queued = await this.enqueue({ runId: id, requestedAt: requestedAt.toISOString(), reason });
    return { runId: id, status: outcome, requestedAt, queued };
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
    // Postgres first: the record is what executors and reapers honour when the queue is down
    const runIds = await this.runs.requestAbortAll(requestedAt, reason);
    // the job also reverts open leases whose run is long gone
    const queued = await this.enqueue({ requestedAt: requestedAt.toISOString(), reason });
    return { runIds, requestedAt, queued };
  }

  private async enqueue(job: AbortJob): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.abortQueue.add(FAULT_JOBS.abort, abortJobSchema.parse(job), ABORT_JOB_OPTIONS),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch (error) {
      this.logger.warn(`abort recorded in Postgres but not queued (Redis): ${(error as Error).message}`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

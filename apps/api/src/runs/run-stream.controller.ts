import { Controller, Get, Inject, Logger, Param, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CLOCK } from '@gameday/config';
import type { Clock } from '@gameday/core';
import type { Request, Response } from 'express';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/auth.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { idSchema } from '../common/id.schema';
import { RunStreamService, type RunStreamCursor } from './run-stream.service';

const POLL_MS = 500;
/** A comment line now and then keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/**
 * How often an open stream asks whether its token is still good (one primary-key read): a
 * revoked or expired token stops receiving within about this long.
 */
const TOKEN_RECHECK_MS = 1_000;

@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1/runs')
export class RunStreamController {
  private readonly logger = new Logger(RunStreamController.name);

  constructor(
    private readonly stream: RunStreamService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Server-Sent Events for a live run view: `run` (the same body as GET /runs/:id, sent again
   * whenever it changes), `samples` (probe samples written since the last message) and `end` once
   * the run is over. Authenticated with the Authorization header like every route (read it with
   * fetch streaming; EventSource cannot send headers, and long-lived tokens never go in URLs).
   * The token is checked again every second: once revoked or expired the stream sends `error`
   * and closes.
   */
  @Get(':id/events/stream')
  @RequireRole('viewer')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream with `run`, `samples` and `end` events' })
  async follow(
    @Param('id', { schema: idSchema, pipes: [ZodValidationPipe] }) id: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.stream.exists(id);
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    let open = true;
    req.on('close', () => (open = false));
    const cursor: RunStreamCursor = { lastRun: null, lastSampleId: 0n };
    // intervals, not instants: the monotonic clock
    const elapsed = () => this.clock.monotonicMs();
    let lastWrite = elapsed();
    let lastTokenCheck = elapsed();
    const send = (event: string, data: unknown) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      lastWrite = elapsed();
    };
    try {
      while (open && !this.stream.stopping) {
        if (elapsed() - lastTokenCheck >= TOKEN_RECHECK_MS) {
          lastTokenCheck = elapsed();
          if (!(await this.stream.stillAuthorized(principal))) {
            send('error', { detail: 'the token was revoked or has expired; sign in again' });
            break;
          }
        }
        const { messages, ended } = await this.stream.poll(id, principal, cursor);
        for (const m of messages) send(m.event, m.data);
        if (ended) {
          send('end', {});
          break;
        }
        if (elapsed() - lastWrite > HEARTBEAT_MS) res.write(': keep-alive\n\n');
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (error) {
      this.logger.warn(`run stream ${id} stopped: ${(error as Error).message}`);
      if (open) send('error', { detail: 'the stream stopped; reconnect to resume' });
    }
    res.end();
  }
}

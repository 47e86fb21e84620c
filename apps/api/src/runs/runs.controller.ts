import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { GameDayRepository, RunRepository } from '@gameday/db';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/auth.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { idSchema } from '../gamedays/gameday.schemas';
import { runDetailView } from '../gamedays/gameday.view';

@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1/runs')
export class RunsController {
  constructor(
    private readonly runs: RunRepository,
    private readonly gameDays: GameDayRepository,
  ) {}

  /** One run with its timeline (events), result and verdict. */
  @Get(':id')
  @RequireRole('viewer')
  async get(@Param('id', { schema: idSchema, pipes: [ZodValidationPipe] }) id: string, @CurrentPrincipal() principal: Principal) {
    const run = await this.runs.findById(id);
    if (!run) throw new NotFoundException(`no run ${id}`);
    const gameDay = await this.gameDays.findById(run.gameDayId);
    return runDetailView(run, principal, gameDay ?? undefined);
  }
}

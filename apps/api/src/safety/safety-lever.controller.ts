import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { safetyLeverEngagedSchema, safetyLeverStateSchema } from '../common/response.schemas';
import { z } from 'zod';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/auth.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { SafetyLeverService } from './safety-lever.service';

export const safetyLeverRequestSchema = z
  .strictObject({
    reason: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
  })
  .meta({ id: 'SafetyLeverRequest' });
type SafetyLeverRequest = z.infer<typeof safetyLeverRequestSchema>;

/** One switch that stops everything: operators pull it, only admins release it. */
@ApiTags('safety-lever')
@ApiBearerAuth()
@Controller('api/v1/safety-lever')
export class SafetyLeverController {
  constructor(private readonly lever: SafetyLeverService) {}

  @Get()
  @RequireRole('viewer')
  @ApiOkResponse({ standardSchema: safetyLeverStateSchema })
  state() {
    return this.lever.state();
  }

  /** Aborts every running run and blocks firing, launching and arming; 202 (the stops land asynchronously). */
  @Post()
  @RequireRole('operator')
  @HttpCode(202)
  @ApiAcceptedResponse({ standardSchema: safetyLeverEngagedSchema })
  engage(
    @Body({ schema: safetyLeverRequestSchema, pipes: [ZodValidationPipe] }) body: SafetyLeverRequest,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.lever.engage(body.reason, principal.name);
  }

  @Delete()
  @RequireRole('admin')
  @ApiOkResponse({ description: 'the released lever', standardSchema: safetyLeverStateSchema })
  release(@CurrentPrincipal() principal: Principal) {
    return this.lever.release(principal.name);
  }
}

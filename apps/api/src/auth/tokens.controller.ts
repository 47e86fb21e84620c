import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CLOCK } from '@gameday/config';
import { instantSchema, type Clock } from '@gameday/core';
import { ApiTokenRepository, type ApiToken } from '@gameday/db';
import { z } from 'zod';
import { validationProblem } from '../common/problem';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { idSchema } from '../common/id.schema';
import { tokenCreatedSchema, tokenPageSchema } from '../common/response.schemas';
import { CurrentPrincipal, RequireRole, type Principal } from './auth.decorators';
import { generateToken, hashToken } from './token-hash';

export const createTokenSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(120, 'must be at most 120 characters'),
    role: z.enum(['viewer', 'operator', 'admin']),
    /** optional: the token stops working at this instant */
    expiresAt: instantSchema.optional(),
  })
  .meta({ id: 'CreateToken' });

function view(t: ApiToken) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    prefix: t.prefix,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
    expiresAt: t.expiresAt,
  };
}

@ApiTags('tokens')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/v1/tokens')
export class TokensController {
  constructor(
    private readonly tokens: ApiTokenRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The secret is returned once, as `token`; only its sha256 is stored. */
  @Post()
  @ApiCreatedResponse({ standardSchema: tokenCreatedSchema })
  async create(
    @Body({ schema: createTokenSchema, pipes: [ZodValidationPipe] }) body: z.infer<typeof createTokenSchema>,
    @CurrentPrincipal() principal: Principal,
  ) {
    // judged here, not in the schema: "the future" is the injected clock's
    if (body.expiresAt && Date.parse(body.expiresAt) <= this.clock.now().getTime())
      throw validationProblem([{ field: 'expiresAt', message: 'must be in the future' }]);
    const secret = generateToken();
    const row = await this.tokens.create({
      name: body.name,
      role: body.role,
      tokenHash: hashToken(secret),
      prefix: secret.slice(0, 10),
      createdById: principal.tokenId,
      expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
    });
    return { ...view(row), token: secret };
  }

  @Get()
  @ApiOkResponse({ standardSchema: tokenPageSchema })
  async list() {
    return { items: (await this.tokens.list()).map(view), nextCursor: null };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id', { schema: idSchema, pipes: [ZodValidationPipe] }) id: string): Promise<void> {
    if (!(await this.tokens.revoke(id, this.clock.now()))) throw new NotFoundException(`no active token ${id}`);
  }
}

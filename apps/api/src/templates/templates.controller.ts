import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { instantiateTemplate, listTemplates, templateCatalogue } from '@gameday/core';
import { RequireRole } from '../auth/auth.decorators';
import { templateListSchema } from './template-responses';

/**
 * The template catalogue (embedded in libs/core, the same one `gameday new` reads). Read-only and
 * the same for everyone: a viewer may see it; creating a GameDay from one is POST /gamedays.
 */
@ApiTags('templates')
@ApiBearerAuth()
@Controller('api/v1/templates')
export class TemplatesController {
  @Get()
  @RequireRole('viewer')
  @ApiOkResponse({ standardSchema: templateListSchema })
  list() {
    const catalogue = templateCatalogue();
    return {
      items: listTemplates().map((t) => ({
        ...t,
        spec: instantiateTemplate(catalogue.get(t.name)!) as unknown as Record<string, unknown>,
      })),
    };
  }
}

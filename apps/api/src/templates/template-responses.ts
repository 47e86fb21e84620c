import { TEMPLATE_PARAMETER_TYPES } from '@gameday/core';
import { z } from 'zod';

// The wire shape of GET /api/v1/templates: the catalogue of libs/core, each template with its
// parameters and the GameDay its defaults make (what the web UI puts in its editor).

const templateParameterViewSchema = z
  .object({
    name: z.string().meta({ example: 'delay' }),
    description: z.string(),
    type: z.enum(TEMPLATE_PARAMETER_TYPES),
    default: z.union([z.string(), z.number()]).optional(),
    choices: z.array(z.union([z.string(), z.number()])).optional(),
  })
  .meta({ id: 'TemplateParameter' });

export const templateViewSchema = z
  .object({
    name: z.string().meta({ example: 'service-latency' }),
    title: z.string(),
    description: z.string(),
    kinds: z.array(z.string()).meta({ description: 'the fault kinds its experiments use' }),
    parameters: z.array(templateParameterViewSchema),
    spec: z
      .record(z.string(), z.unknown())
      .meta({ description: 'the GameDay spec (see GameDaySpec) the template makes with its defaults' }),
  })
  .meta({ id: 'TemplateView' });

export const templateListSchema = z.object({ items: z.array(templateViewSchema) }).meta({ id: 'TemplateList' });

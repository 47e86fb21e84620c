import { z } from 'zod';
import { safeRecord } from '../spec/primitives.schema';

/** Which containers a fault acts on: the part every fault kind's spec shares. */

export const selectionSchema = z
  .strictObject({
    mode: z.enum(['one', 'all', 'count', 'percent']),
    count: z.number().int('count must be a whole number').min(1, 'count must be at least 1').optional(),
    percent: z.number().gt(0, 'percent must be greater than 0').max(100, 'percent must be at most 100').optional(),
  })
  .superRefine((v, ctx) => {
    if (v.mode === 'count' && v.count === undefined)
      ctx.addIssue({ code: 'custom', path: ['count'], message: 'count is required when mode is "count"' });
    if (v.mode !== 'count' && v.count !== undefined)
      ctx.addIssue({ code: 'custom', path: ['count'], message: 'count is only allowed when mode is "count"' });
    if (v.mode === 'percent' && v.percent === undefined)
      ctx.addIssue({ code: 'custom', path: ['percent'], message: 'percent is required when mode is "percent"' });
    if (v.mode !== 'percent' && v.percent !== undefined)
      ctx.addIssue({ code: 'custom', path: ['percent'], message: 'percent is only allowed when mode is "percent"' });
  });

/** Docker's own rules, so a name Docker could never have (e.g. "$(reboot)") is refused up front. */
export const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const containerNameSchema = z
  .string()
  .min(1, 'container name must not be empty')
  .max(255)
  .regex(CONTAINER_NAME, 'must be a Docker container name: [a-zA-Z0-9][a-zA-Z0-9_.-]* (optionally with a leading "/")');
// Docker: a label key is non-empty without whitespace; neither keys nor values carry control characters
const labelKey = z
  .string()
  .min(1, 'label keys must not be empty')
  .max(255)
  .regex(/^[^\s\p{Cc}=]+$/u, 'label keys must not contain whitespace, "=" or control characters');
const labelValue = z
  .string()
  .max(1024)
  .regex(/^[^\p{Cc}]*$/u, 'label values must not contain control characters');
// Compose lower-cases and restricts project names; service names are Compose's [a-zA-Z0-9._-]+
export const composeProjectSchema = z
  .string()
  .min(1, 'compose.project must not be empty')
  .max(255)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a Compose project name: [a-z0-9][a-z0-9_-]*');
export const composeServiceSchema = z
  .string()
  .min(1, 'compose.service must not be empty')
  .max(255)
  .regex(/^[a-zA-Z0-9._-]+$/, 'must be a Compose service name: [a-zA-Z0-9._-]+');

/** The target selector with a default selection (one container unless told; a partition's groups: all). */
export function targetSchemaWith(defaultSelection: z.input<typeof selectionSchema>) {
  return z
    .strictObject({
      container: containerNameSchema.optional(),
      compose: z.strictObject({ project: composeProjectSchema, service: composeServiceSchema.optional() }).optional(),
      labels: safeRecord(labelKey, labelValue).optional(),
      selection: selectionSchema.default(defaultSelection as z.output<typeof selectionSchema>),
      /** privileged containers are refused unless this is set */
      allowPrivileged: z.boolean().optional(),
    })
    .superRefine((v, ctx) => {
      const given = [v.container, v.compose, v.labels].filter((x) => x !== undefined).length;
      if (given !== 1)
        ctx.addIssue({ code: 'custom', message: 'target needs exactly one of container, compose or labels' });
      if (v.labels !== undefined && Object.keys(v.labels).length === 0)
        ctx.addIssue({ code: 'custom', path: ['labels'], message: 'labels must name at least one label' });
    });
}

export const targetSchema = targetSchemaWith({ mode: 'one' });

export type TargetSpec = z.infer<typeof targetSchema>;
export type SelectionSpec = z.infer<typeof selectionSchema>;

import type { ErrorSchema } from '@rjsf/utils';
import type { FieldError } from '../api';

/** "experiments[0].durations.baseline" → ["experiments", "0", "durations", "baseline"]. */
export function fieldPath(field: string): string[] {
  return field
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean);
}

/**
 * The API's field errors (problem+json `errors`) as the form's error schema, so each message sits
 * under its field; errors without a path (the whole body) go on the form itself.
 */
export function toErrorSchema(errors: FieldError[]): ErrorSchema {
  const root: Record<string, unknown> = {};
  for (const { field, message } of errors) {
    let node = root;
    for (const key of field.startsWith('(') ? [] : fieldPath(field)) {
      node = (node[key] ??= {}) as Record<string, unknown>;
    }
    ((node.__errors ??= []) as string[]).push(message);
  }
  return root as ErrorSchema;
}

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

/**
 * The value without empty objects among an object's fields: switching a union's member leaves
 * `{}` for the member's optional objects (a target's `compose`), which the schema then refuses
 * for lack of their required fields.
 */
export function withoutEmptyObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyObjects);
  if (!value || typeof value !== 'object') return value;
  const kept = Object.entries(value)
    .map(([k, v]) => [k, withoutEmptyObjects(v)] as const)
    .filter(([, v]) => !(v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0));
  return Object.fromEntries(kept);
}

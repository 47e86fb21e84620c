import { z } from 'zod';
import { gameDaySpecSchema } from '../../../libs/core/src/spec/gameday.schema';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** The `kind` const of a union member (a fault, a probe), when it has one. */
function kindOf(option: unknown): string | undefined {
  const kind = isObject(option) && isObject(option.properties) ? option.properties.kind : undefined;
  return isObject(kind) && typeof kind.const === 'string' ? kind.const : undefined;
}

/** A member's name for the chooser: its kind, else its required fields (at, cron…), else its type. */
function optionTitle(option: unknown): string | undefined {
  if (!isObject(option)) return undefined;
  const required = Array.isArray(option.required) ? option.required.join(', ') : '';
  return kindOf(option) ?? (required || (typeof option.type === 'string' ? option.type : undefined));
}

/**
 * Names the members of every union (the form's chooser shows "network", "container"… instead of
 * "Option 1") and marks the `kind` unions' discriminator, so the form picks the member from the
 * value's `kind` rather than by trying each member's validator.
 */
function labelUnions(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(labelUnions);
  if (!isObject(node)) return;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const options = node[key];
    if (!Array.isArray(options)) continue;
    if (options.every((o) => kindOf(o))) {
      node.discriminator = { propertyName: 'kind' };
      // the kind as its member's default too: switching member then replaces the old kind
      for (const o of options as Json[]) Object.assign((o.properties as Json).kind as Json, { default: kindOf(o) });
    }
    for (const o of options) if (isObject(o)) o.title ??= optionTitle(o);
  }
  Object.values(node).forEach(labelUnions);
}

/**
 * The GameDay spec's JSON schema for the editor's form, from its one source (the zod schema in
 * libs/core) as the API reads it (`io: 'input'`: defaults optional). Draft 7 is what the form's
 * validator (Ajv) speaks; formats Ajv does not know stay the API's to check.
 */
export function gameDaySpecJsonSchema(): Json {
  const schema = z.toJSONSchema(gameDaySpecSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Json;
  delete schema.$schema;
  labelUnions(schema);
  return schema;
}

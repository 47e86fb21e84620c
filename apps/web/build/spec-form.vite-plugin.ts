import { compileSchemaValidatorsCode } from '@rjsf/validator-ajv8/compileSchemaValidators';
import { hashForSchema, schemaParser, type RJSFSchema } from '@rjsf/utils';
import type { Plugin } from 'vite';
import { gameDaySpecJsonSchema } from './spec-json-schema';
import { validatorsModule } from './validators-module';

const ID = 'virtual:gameday-spec-schema';
const RESOLVED = `\0${ID}`;

/**
 * Every member of every union (oneOf/anyOf), keyed as the form looks them up: the form asks the
 * validator which member a value matches, and rjsf's schema parser misses the unions nested in
 * a union's member (a network fault's CIDR lists), which then have no precompiled validator.
 */
function unionOptions(schema: RJSFSchema): Map<string, RJSFSchema> {
  const known = new Set(Object.keys(schemaParser(schema)));
  const found = new Map<string, RJSFSchema>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    for (const key of ['oneOf', 'anyOf']) {
      const options = (node as Record<string, unknown>)[key];
      if (!Array.isArray(options)) continue;
      for (const option of options as RJSFSchema[]) {
        const hash = hashForSchema(option);
        if (!known.has(hash)) found.set(hash, option);
      }
    }
    Object.values(node).forEach(walk);
  };
  walk(schema);
  return found;
}

/**
 * `virtual:gameday-spec-schema`: the GameDay spec's JSON schema (from the zod schema in libs/core)
 * and its validators compiled at build time, because the UI's content policy forbids the
 * run-time code generation Ajv otherwise does (no 'unsafe-eval').
 */
export function specFormPlugin(): Plugin {
  return {
    name: 'gameday-spec-schema',
    resolveId: (id) => (id === ID ? RESOLVED : null),
    load(id) {
      if (id !== RESOLVED) return null;
      const schema = gameDaySpecJsonSchema();
      const code = compileSchemaValidatorsCode(schema, {
        // formats Ajv does not know (cidrv4…) are left to the API, without a warning per use
        ajvOptionsOverrides: { logger: false },
        extenderFn: (ajv) => {
          for (const [key, option] of unionOptions(schema)) ajv.addSchema(option, key);
          return ajv;
        },
      });
      return validatorsModule(code, schema);
    },
  };
}

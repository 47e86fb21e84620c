/**
 * The precompiled validators as an ES module: Ajv's standalone code is CommonJS, and its few
 * `require`s of Ajv's runtime helpers become imports the bundler resolves.
 */
export function validatorsModule(code: string, schema: unknown): string {
  const ids = [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))];
  return [
    ...ids.map((id, i) => `import * as r${i} from ${JSON.stringify(id)};`),
    `const runtime = { ${ids.map((id, i) => `${JSON.stringify(id)}: r${i}`).join(', ')} };`,
    'const require = (id) => runtime[id];',
    'const exports = {};',
    code.replace(/^"use strict";/, ''),
    'export const validators = exports;',
    `export const schema = ${JSON.stringify(schema)};`,
  ].join('\n');
}

// npm run api:types: writes the API's OpenAPI document and the types generated from it.
import './nodenext-resolve';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

async function main(): Promise<void> {
  const { buildOpenApiDocument } = await import('../apps/api/src/openapi-document');
  const gen = await import('../libs/api-types/src/api-types.generator');
  const document = await buildOpenApiDocument();
  const root = join(__dirname, '..');
  writeFileSync(join(root, gen.OPENAPI_JSON), gen.openApiJson(document));
  writeFileSync(join(root, gen.OPENAPI_TYPES), await gen.openApiTypes(document));
  console.log(`wrote ${gen.OPENAPI_JSON} (${Object.keys(document.paths).length} paths) and ${gen.OPENAPI_TYPES}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

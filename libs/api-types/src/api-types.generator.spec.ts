import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../../../apps/api/src/openapi-document';
import { OPENAPI_JSON, OPENAPI_TYPES, openApiJson, openApiTypes } from './api-types.generator';

// The committed document and types are what the API answers today: run `npm run api:types`
// after changing an answer, and commit both.
const committed = (file: string) => readFileSync(join(__dirname, '../../..', file), 'utf8');

describe('generated API types', () => {
  let document: Awaited<ReturnType<typeof buildOpenApiDocument>>;
  beforeAll(async () => {
    document = await buildOpenApiDocument();
  }, 60_000);

  it(`${OPENAPI_JSON} is the API's document (else: npm run api:types)`, () => {
    expect(committed(OPENAPI_JSON)).toBe(openApiJson(document));
  });

  it(`${OPENAPI_TYPES} is generated from it (else: npm run api:types)`, async () => {
    expect(committed(OPENAPI_TYPES)).toBe(await openApiTypes(document));
  });

  it('describes every JSON answer the clients read, and the admin-only 403', () => {
    const op = (path: string, method: string) => document.paths[path][method as 'get'];
    for (const [path, method, status] of [
      ['/api/v1/gamedays', 'get', '200'],
      ['/api/v1/gamedays/{id}', 'get', '200'],
      ['/api/v1/runs/{id}', 'get', '200'],
      ['/api/v1/me', 'get', '200'],
    ])
      expect(op(path, method)!.responses[status]).toHaveProperty(['content', 'application/json', 'schema']);
    expect(op('/api/v1/tokens', 'get')!.responses['403']).toMatchObject({
      description: expect.stringMatching(/admin/),
    });
    expect(op('/api/v1/safety-lever', 'delete')!.responses['403']).toBeDefined();
    expect(op('/api/v1/gamedays', 'get')!.responses['403']).toBeUndefined();
  });
});

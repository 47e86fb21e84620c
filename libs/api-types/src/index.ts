// The API's answers as TypeScript types, generated from its OpenAPI document (npm run api:types).
// Type-only: clients (the web UI, the CLI) import it without pulling any server code.
import type { components, paths } from './generated/openapi';

export type { components, paths };
export type ApiSchemas = components['schemas'];

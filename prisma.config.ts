import { defineConfig } from 'prisma/config';

// Prisma 7 CLI config: used by `prisma generate` (offline, WASM). Migrations are applied by
// tools/prisma-migrate (prisma 6.19 WASM path) because the Prisma 7 migrate engine is a
// native binary that cannot be downloaded everywhere.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/gameday' },
});

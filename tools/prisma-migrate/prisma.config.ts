import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// Prisma 6.19 still ships a WASM migrate engine driven through a driver adapter, so migrations
// need no native schema-engine download. Two known traps of that path are handled here:
// - adapter-pg cannot deserialize catalog types (name, char, regproc…) that the engine's
//   introspection queries return: the client reports those columns as text.
// - adapter-pg's executeScript splits on every ';' (breaking $$ bodies and leaving half-applied
//   migrations): scripts are sent as one multi-statement query instead.
const CATALOG_OIDS = new Set([18, 19, 22, 24, 28, 29, 30, 194, 1033, 1034, 2205, 2206, 3220]);
const TEXT_OID = 25;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const asText = (r: any) => {
  for (const field of r?.fields ?? []) if (CATALOG_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
  return r;
};

class CatalogAsTextClient extends pg.Client {
  // pg.Pool calls client.query in callback style; promise style is handled too.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last];
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      args[last] = (err: unknown, res: any) => callback(err, err ? res : asText(res));
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const result = (super.query as any)(...args);
    return result && typeof result.then === 'function' ? result.then(asText) : result;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function wholeScripts(adapter: any) {
  adapter.executeScript = async (script: string) => {
    try {
      await adapter.client.query(script);
    } catch (error) {
      adapter.onError(error);
    }
  };
  return adapter;
}

class MigrateAdapterFactory extends PrismaPg {
  override async connect() {
    return wholeScripts(await super.connect());
  }
  override async connectToShadowDb() {
    return wholeScripts(await super.connectToShadowDb());
  }
}

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: './schema.prisma',
  migrations: { path: '../../prisma/migrations' },
  adapter: async () =>
    new MigrateAdapterFactory({
      connectionString: url,
      Client: CatalogAsTextClient,
      allowExitOnIdle: true,
    } as pg.PoolConfig),
});

// Lets `node -r @swc-node/register` run the TypeScript sources: they and the generated Prisma
// client import siblings NodeNext-style as './x.js'; the register hook resolves only existing
// files, so those requests are mapped to the './x.ts' next to the importer. Import it first.
import Module from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';

type Resolve = (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (request, parent, ...rest) {
  if (parent?.filename?.endsWith('.ts') && /^\.{1,2}\/.*\.js$/.test(request)) {
    const ts = path.resolve(path.dirname(parent.filename), `${request.slice(0, -3)}.ts`);
    if (existsSync(ts)) return ts;
  }
  return resolve.call(this, request, parent, ...rest);
};

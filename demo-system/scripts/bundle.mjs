// Bundles each demo service into one CommonJS file for Node 18 (Debian bookworm's nodejs), so the
// images ship a single script and no node_modules. Run from anywhere: node demo-system/scripts/bundle.mjs
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const service of ['service1', 'service2']) {
  await build({
    entryPoints: [join(root, 'src', service, 'main.ts')],
    outfile: join(root, 'dist', `${service}.js`),
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    // pg loads its optional native binding lazily; the demo uses the pure-JS client.
    external: ['pg-native'],
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

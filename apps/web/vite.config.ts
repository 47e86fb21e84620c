import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { specFormPlugin } from './build/spec-form.vite-plugin';

// React's JSX through esbuild (no Babel plugin needed); the API serves the build from dist/web.
export default defineConfig({
  root: __dirname,
  base: '/',
  esbuild: { jsx: 'automatic' },
  // the GameDay spec's JSON schema and its validators, built from libs/core's zod schema
  plugins: [specFormPlugin()],
  // one bundle of ~400 kB (React, uPlot, yaml) is fine for an internal tool served by the API
  build: {
    outDir: resolve(__dirname, '../../dist/web'),
    emptyOutDir: true,
    // the API serves this directory to anyone who can reach it: no sources beside the bundle
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      // React Server Components' "use client" marks mean nothing in this client-only bundle
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});

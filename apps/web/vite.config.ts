import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// React's JSX through esbuild (no Babel plugin needed); the API serves the build from dist/web.
export default defineConfig({
  root: __dirname,
  base: '/',
  esbuild: { jsx: 'automatic' },
  // one bundle of ~400 kB (React, uPlot, yaml) is fine for an internal tool served by the API
  build: {
    outDir: resolve(__dirname, '../../dist/web'),
    emptyOutDir: true,
    // the API serves this directory to anyone who can reach it: no sources beside the bundle
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});

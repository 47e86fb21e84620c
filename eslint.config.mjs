import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import prettier from 'eslint-config-prettier';

const STORAGE = 'apps reach storage only through the repositories of libs/db (one writer per table).';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'tools/prisma-migrate/**',
      '**/generated/**',
      '.lab/**',
      'grafana/dashboards/**',
      'demo-system/**/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // CommonJS by necessity: jest reads its config with require, and the lab sample it shares
    // with the lab specs must load there without a TypeScript compiler
    files: ['jest.config.js', 'tools/lab/lab-sample.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // the web UI runs in the browser and speaks only the public REST API
    files: ['apps/web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // the API's answer types (generated, type-only) are the one exception
              group: ['@gameday/*', '!@gameday/api-types', '@nestjs/*', '@prisma/*'],
              message: 'apps/web uses the REST API only.',
            },
          ],
        },
      ],
    },
  },
  {
    // libs/core is pure: no framework, ORM, queue or Docker imports.
    files: ['libs/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', '@prisma/*', 'bullmq', 'ioredis', 'dockerode', 'pg', 'prom-client', '@gameday/*'],
              message: 'libs/core is pure TypeScript: put I/O behind an interface outside core.',
            },
          ],
        },
      ],
    },
  },
  {
    // The API never touches Docker: only the worker holds the Docker socket.
    files: ['apps/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'dockerode', message: 'apps/api must not talk to Docker.' },
            { name: '@gameday/db', importNames: ['PrismaService'], message: STORAGE },
          ],
          patterns: [
            { group: ['@gameday/faults'], message: 'apps/api must not talk to Docker.' },
            { group: ['@prisma/*'], message: STORAGE },
          ],
        },
      ],
    },
  },
  {
    // The worker reaches storage only through the repositories of libs/db.
    files: ['apps/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@gameday/db', importNames: ['PrismaService'], message: STORAGE }],
          patterns: [{ group: ['@prisma/*'], message: STORAGE }],
        },
      ],
    },
  },
  {
    // The CLI is a client of the public REST API only: no storage, queue, Docker or config access.
    files: ['apps/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@nestjs/*',
                '@prisma/*',
                'bullmq',
                'ioredis',
                'dockerode',
                'pg',
                '@gameday/*',
                '!@gameday/core',
                '!@gameday/core/**',
                '!@gameday/api-types',
              ],
              message: 'apps/cli speaks only the REST API (pure helpers from @gameday/core are fine).',
            },
          ],
        },
      ],
    },
  },
  {
    // One source for configuration: libs/config parses the environment once, the rest gets the
    // values passed in. The CLI is a client with its own settings; tests and tooling set up processes.
    files: ['apps/**/*.{ts,tsx}', 'libs/**/*.ts'],
    ignores: ['libs/config/**', 'apps/cli/**', '**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read configuration through @gameday/config (libs/config).' },
      ],
    },
  },
  {
    // One source of time: instants from the injected Clock (libs/core clock.ts), durations from its
    // monotonic reading, so tests can drive time and a stepped wall clock cannot bend a duration.
    files: ['apps/**/*.{ts,tsx}', 'libs/**/*.ts'],
    ignores: ['libs/core/src/clock.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'take time from the injected Clock (clock.now() for instants, clock.monotonicMs() for durations).',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'take time from the injected Clock (clock.now()).',
        },
      ],
    },
  },
  // layout is the formatter's job (prettier --check in npm run lint)
  prettier,
);

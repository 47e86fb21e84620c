// One jest run, tiers selected with --selectProjects (unit | integration | redis-cluster | browser | lab).
// jest takes testTimeout from the root config only; each tier's timeout is set in tier-timeout.ts.
// @swc/jest compiles TypeScript (with decorator metadata for Nest) to CommonJS; the
// ESM-only packages Nest 12 pulls in are let through the transform.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
// openapi-typescript's own dependencies (parse-json, supports-color, …) are ESM only too
const esmPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  'uint8array-extras',
  '@grafana',
  'openapi-typescript',
  'parse-json',
  'index-to-position',
  'supports-color',
  'change-case',
];
const moduleNameMapper = {
  // generated Prisma client and NodeNext-style sources import siblings as './x.js'
  '^(\\.{1,2}/.*)\\.js$': '$1',
  '^@gameday/(core|config|db|queue|faults|metrics|probes)$': '<rootDir>/libs/$1/src/index.ts',
  '^@gameday/(core|config|db|queue|faults|metrics|probes)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/tools/prisma-migrate/'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{libs,apps,demo-system,grafana,bench}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      setupFiles: ['<rootDir>/test/support/require-services.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/tier-timeout.ts'],
    },
    {
      ...common,
      // the scheduling tests once more, with the queues on a local three-node Redis Cluster
      displayName: 'redis-cluster',
      testMatch: ['<rootDir>/test/integration/scheduling/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/redis-cluster.global-setup.ts',
      globalTeardown: '<rootDir>/test/support/redis-cluster.global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/redis-cluster.env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/tier-timeout.ts'],
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      setupFiles: ['<rootDir>/test/support/require-services.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/tier-timeout.ts'],
    },
    {
      ...common,
      displayName: 'lab',
      testMatch: ['<rootDir>/test/lab/**/*.lab-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/tier-timeout.ts'],
    },
  ],
};

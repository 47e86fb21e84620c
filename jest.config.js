// One jest run, tiers selected with --selectProjects (unit | integration | redis-cluster | browser | lab).
// jest takes testTimeout from the root config only; each tier's timeout is set in tier-timeout.ts.
// @swc/jest compiles TypeScript (with decorator metadata for Nest) to CommonJS; the
// ESM-only packages Nest 12 pulls in are let through the transform.
const { labSample } = require('./tools/lab/lab-sample');

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
// the tiers that time real runs: their timeout, and one more run of a failed test in `npm test`
const timedTierSetup = ['<rootDir>/test/support/tier-timeout.ts', '<rootDir>/test/support/tier-retries.ts'];
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/tools/prisma-migrate/'],
};
// scripts/test.sh runs the tiers in three lanes at once (GAMEDAY_TEST_LANE), each a jest process
// of its own with its own database and Redis index: most integration files wait on planned
// instants, not on the CPU. Faults and runs on Docker in one lane, the API/control files in
// another, the images, the compose file and the scheduling files in the third. Without the
// variable every file is selected.
const LANES = {
  docker: ['faults', 'runner'],
  images: ['demo', 'prisma', 'scheduling', 'cli'],
};
// files of the docker lane's folders that run in another lane to even the lanes out (CI on a
// 2-CPU host: api 853 s, docker 1 009 s, images 1 172 s with the runner's two engines, 72 s, and
// the dns rollback paths, 109 s, in it; the disk fill stays there, 131 s)
const TO_IMAGES = ['faults/disk-fill.int-spec.ts'];
const TO_API = ['runner/two-engines.int-spec.ts', 'faults/dns-rollback.int-spec.ts'];
const inIntegration = (files) => files.map((f) => `<rootDir>/test/integration/${f}`);
const TO_IMAGES_LANE = inIntegration(TO_IMAGES);
const TO_API_LANE = inIntegration(TO_API);
const dirsOf = (dirs) => `<rootDir>/test/integration/{${dirs.join(',')}}/**/*.int-spec.ts`;
// Files whose timing failed beside the other lanes (a paused target not unpaused by T1+5 s with
// Postgres cut; a blackhole's helper record missing at T1; the demo's baseline error ratio over 5 %
// while the other lanes loaded the CPUs) and passed every time alone: they run in a lane of their
// own after the others, on a quiet machine, until the cause is found.
const SERIAL_LANE = [
  '<rootDir>/test/integration/control/postgres-down-fault.int-spec.ts',
  '<rootDir>/test/integration/faults/blackhole.int-spec.ts',
  '<rootDir>/test/integration/probes/prometheus-guardrail.int-spec.ts',
];
const lane = process.env.GAMEDAY_TEST_LANE;
// The lab tier as three jest processes (GAMEDAY_LAB_LANE, scripts/test.sh), one after another on a
// 2-CPU host (one guest at a time: two at once ran 1.3-1.7x slower and their armings overran):
// lane e (the end-to-end demo), lane c (netem in network namespaces, kernels of its own), lane d
// (one shared Docker guest, tools/lab/shared-lab.ts: the rollback trials and kind files of the lab
// sample, tools/lab/lab-sample.js, or every one with GAMEDAY_LAB_SAMPLE=all). Measured with
// one guest at a time where it starts a container in 7 s: e ≈ 330 s, c ≈ 100.
const labFiles = (names) => names.map((f) => `<rootDir>/test/lab/${f}.lab-spec.ts`);
const LAB_LANES = {
  e: labFiles(['e2e-classic']),
  c: labFiles(['netem-netns']),
  d: labFiles(labSample().dockerFiles),
};
const labLane = process.env.GAMEDAY_LAB_LANE;
const labMatch = LAB_LANES[labLane]
  ? { testMatch: LAB_LANES[labLane] }
  : { testMatch: ['<rootDir>/test/lab/**/*.lab-spec.ts'] };
const integrationMatch =
  lane === 'docker'
    ? {
        testMatch: [dirsOf(LANES.docker)],
        testPathIgnorePatterns: [...TO_IMAGES_LANE, ...TO_API_LANE, ...SERIAL_LANE],
      }
    : lane === 'images'
      ? { testMatch: [dirsOf(LANES.images), ...TO_IMAGES_LANE], testPathIgnorePatterns: SERIAL_LANE }
      : lane === 'api'
        ? {
            testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
            testPathIgnorePatterns: [
              // every file of the other lanes' folders but those moved here
              `<rootDir>/test/integration/(?!(${TO_API.join('|')})$)(${[...LANES.docker, ...LANES.images].join('|')})/`,
              ...SERIAL_LANE,
            ],
          }
        : lane === 'serial'
          ? { testMatch: SERIAL_LANE }
          : { testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'] };
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,apps,demo-system,grafana,bench,tools/lab}/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      ...integrationMatch,
      setupFiles: ['<rootDir>/test/support/require-services.ts'],
      setupFilesAfterEnv: timedTierSetup,
    },
    {
      ...common,
      // the scheduling tests once more, with the queues on a local three-node Redis Cluster
      displayName: 'redis-cluster',
      testMatch: ['<rootDir>/test/integration/scheduling/*.int-spec.ts'],
      // the fleet burst's firing is the same code as the other scheduling files': once is enough
      testPathIgnorePatterns: ['/fleet-burst\\.int-spec\\.ts$'],
      globalSetup: '<rootDir>/test/support/redis-cluster.global-setup.ts',
      globalTeardown: '<rootDir>/test/support/redis-cluster.global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/redis-cluster.env.ts'],
      setupFilesAfterEnv: timedTierSetup,
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      setupFiles: ['<rootDir>/test/support/require-services.ts'],
      setupFilesAfterEnv: timedTierSetup,
    },
    {
      ...common,
      displayName: 'lab',
      ...labMatch,
      // powers off the lab engine the files shared (tools/lab/shared-lab.ts)
      globalTeardown: '<rootDir>/test/support/lab.global-teardown.ts',
      setupFilesAfterEnv: timedTierSetup,
    },
    {
      ...common,
      // long proofs kept out of CI for time (`npm run test:long`): the lab's demo flip, the lab
      // harness's own failure paths
      displayName: 'long',
      testMatch: ['<rootDir>/test/long/**/*.long-spec.ts'],
      globalTeardown: '<rootDir>/test/support/lab.global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/tier-timeout.ts'],
    },
  ],
};

// What of the lab tier `npm test` (and so CI) runs: the demo end to end and netem in network
// namespaces every time, and on the shared Docker guest the SIGKILL rollback trials of two fault
// kinds plus one of the kind files, both rotated by commit. The whole lab (every file, every kind's
// trials) is `GAMEDAY_LAB_SAMPLE=all npm test`; on a 2-CPU host it takes about 35 min on its own,
// one guest at a time, which CI's 30 min cannot hold beside the other tiers.
//
// Rotated, not fixed: over successive commits every kind's SIGKILL trial and every kind file runs,
// and a commit's sample is fixed by its hash (GAMEDAY_LAB_SAMPLE_SEED replays another's).
// CommonJS: jest.config.js (files) and the trials' spec (kinds) read the same choice.
const { execFileSync } = require('node:child_process');

/** Lab files of the shared Docker guest, one of which a sample runs beside the SIGKILL trials (whose
 * rotation covers rollback-sigkill-kinds' kinds). */
const KIND_FILES = [
  'dns-docker',
  'stress-docker',
  'blackhole-docker',
  'process-kill-docker',
  'netem-docker',
  'rollback-redis-loss',
  'rollback-sigkill-steps',
];
/** The kinds whose SIGKILL trial a sample takes two of (tools/lab/trial-faults.ts). */
const SIGKILL_KINDS = ['netem', 'blackhole', 'process-kill', 'disk-fill', 'stress', 'dns', 'partition'];

function seedOf(env) {
  if (env.GAMEDAY_LAB_SAMPLE_SEED) return env.GAMEDAY_LAB_SAMPLE_SEED;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
  } catch {
    throw new Error('lab sample: no git commit to rotate by; set GAMEDAY_LAB_SAMPLE_SEED or GAMEDAY_LAB_SAMPLE=all');
  }
}

/** A number from the seed's first 8 hex digits (any other seed: its characters' codes). */
function numberOf(seed) {
  if (/^[0-9a-f]{8}/i.test(seed)) return parseInt(seed.slice(0, 8), 16);
  return [...seed].reduce((n, c) => (n * 31 + c.charCodeAt(0)) >>> 0, 7);
}

/**
 * The lab's choice for this run. `all`: every file, and the trial files' own kinds. Otherwise the
 * shared guest runs rollback-sigkill with two kinds and one kind file, picked by the seed.
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ all: boolean, seed: string, dockerFiles: string[], sigkillKinds: string[] | undefined }}
 */
function labSample(env = process.env) {
  if (env.GAMEDAY_LAB_SAMPLE === 'all')
    return {
      all: true,
      seed: 'all',
      dockerFiles: ['rollback-sigkill', 'rollback-sigkill-kinds', ...KIND_FILES],
      sigkillKinds: undefined,
    };
  if (env.GAMEDAY_LAB_SAMPLE && env.GAMEDAY_LAB_SAMPLE !== 'rotate')
    throw new Error(`GAMEDAY_LAB_SAMPLE: ${env.GAMEDAY_LAB_SAMPLE} (expected rotate or all)`);
  const seed = seedOf(env);
  const n = numberOf(seed);
  const first = n % SIGKILL_KINDS.length;
  // the second kind one place on: every kind is first once and second once over the cycle
  const second = (first + 1) % SIGKILL_KINDS.length;
  return {
    all: false,
    seed,
    dockerFiles: ['rollback-sigkill', KIND_FILES[Math.floor(n / SIGKILL_KINDS.length) % KIND_FILES.length]],
    sigkillKinds: [SIGKILL_KINDS[first], SIGKILL_KINDS[second]],
  };
}

module.exports = { labSample, KIND_FILES, SIGKILL_KINDS };

if (require.main === module) {
  const s = labSample();
  process.stdout.write(
    s.all
      ? 'lab: every file (GAMEDAY_LAB_SAMPLE=all)\n'
      : `lab sample (seed ${s.seed.slice(0, 12)}): SIGKILL trials of ${s.sigkillKinds.join(', ')}; ${s.dockerFiles[1]}; every file: GAMEDAY_LAB_SAMPLE=all\n`,
  );
}

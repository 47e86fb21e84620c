// `npm run bench`: the five benches one after the other (timing and steps in the lab, load throughput,
// scale, soak), their output passed through, then one JSON line holding the figures of each.
// BENCH_ONLY=timing,scale picks some; each bench's own environment variables apply.
import { spawn } from 'node:child_process';
import path from 'node:path';

const BENCHES = ['timing', 'steps', 'throughput', 'scale', 'soak'] as const;
type BenchName = (typeof BENCHES)[number];

function selected(): BenchName[] {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  if (!only) return [...BENCHES];
  const unknown = only.filter((s) => !(BENCHES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown bench ${unknown.join(', ')} (${BENCHES.join(', ')})`);
  return BENCHES.filter((b) => only.includes(b));
}

/** Runs one bench, its output shown as it comes; resolves with its last JSON line. */
function runBench(name: BenchName): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, `${name}.ts`)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let last: string | undefined;
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('{')) last = l;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (partial.startsWith('{')) last = partial;
      if (code !== 0) return reject(new Error(`bench ${name} ended with ${signal ?? `exit code ${code}`}`));
      if (!last) return reject(new Error(`bench ${name} printed no JSON line`));
      resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

async function main(): Promise<void> {
  const figures: Partial<Record<BenchName, Record<string, unknown>>> = {};
  for (const name of selected()) {
    process.stdout.write(`\n===== bench ${name} =====\n`);
    figures[name] = await runBench(name);
  }
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

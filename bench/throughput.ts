// Load engine throughput: GameDay's load generator (autocannon in a thread of its own, every answer
// handed to the executor and aggregated per second, as during a run) against autocannon alone, on
// the same local HTTP target, with the same connections, for the same time, in the same run.
// The ratio is the cost of recording every answer; the bar is ≥ 0.8×.
//
// Environment: BENCH_THROUGHPUT_S (10 per side), BENCH_THROUGHPUT_CONNECTIONS (16). The target is
// a minimal Node HTTP server in a process of its own. Ends with one JSON line of the figures.
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { LoadAggregator, summarizeAggregates, type LoadAggregate } from '@gameday/core';
import { LoadGenerator } from '@gameday/probes';
import { freePort, waitForHttp } from '../tools/lab/processes';

const SECONDS = Number(process.env.BENCH_THROUGHPUT_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_THROUGHPUT_CONNECTIONS ?? 16);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

const TARGET = `require('node:http').createServer((q, s) => { q.resume(); s.end('ok'); }).listen(Number(process.argv[1]), '127.0.0.1');`;

async function raw(url: string): Promise<number> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
  return r.requests.total / SECONDS;
}

async function ours(url: string): Promise<{ rps: number; rssMb: number }> {
  // as the executor's sample recorder keeps the load: per-second aggregates, taken every second
  const aggregator = new LoadAggregator();
  const kept: LoadAggregate[] = [];
  let answers = 0;
  const load = new LoadGenerator({ url, rate: 10_000_000, concurrency: CONNECTIONS, timeoutMs: 2_000 }, (s) => {
    answers++;
    aggregator.add('fault', s);
  });
  const taking = setInterval(() => kept.push(...aggregator.take()), 1_000);
  load.start();
  await load.started;
  const from = answers;
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const counted = answers - from;
  const elapsed = (Date.now() - t0) / 1000;
  await load.stop();
  clearInterval(taking);
  const summary = summarizeAggregates([...kept, ...aggregator.take()]);
  if (summary.count !== answers) throw new Error(`aggregated ${summary.count} of ${answers} answers`);
  if (summary.errors > 0) throw new Error(`load answers with errors: ${summary.errors}`);
  return { rps: counted / elapsed, rssMb: process.memoryUsage().rss / 1e6 };
}

async function main(): Promise<void> {
  const port = await freePort();
  const target = spawn(process.execPath, ['-e', TARGET, String(port)], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitForHttp(url, 10_000, 'the throughput target');
    await raw(url); // warm-up: the target's JIT and the kernel's sockets, for both sides alike
    const baseline = await raw(url);
    const measured = await ours(url);
    const figures = {
      connections: CONNECTIONS,
      seconds: SECONDS,
      autocannon_rps: Math.round(baseline),
      load_engine_rps: Math.round(measured.rps),
      load_engine_ratio: round1((measured.rps / baseline) * 100) / 100,
      bench_rss_after_mb: Math.round(measured.rssMb),
    };
    console.log(
      `\n== load engine throughput (${CONNECTIONS} connections, ${SECONDS} s each) ==\n` +
        `autocannon alone            ${figures.autocannon_rps} requests/s\n` +
        `GameDay's load generator    ${figures.load_engine_rps} requests/s, every answer aggregated (${figures.load_engine_ratio}×)\n`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    target.kill('SIGKILL');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

// Runs a measurement plan inside a lab guest (user-mode-linux) and writes the results as JSON.
//
//   node guest-agent.mjs PLAN.json RESULTS.json
//
// A plan is data, not shell: every command is an argv array executed without a shell, optionally
// inside a network namespace (`ip netns exec NS argv…`). Steps run in order; the first failing
// step stops the plan, after which the `finally` steps still run (they revert faults and stop
// servers), so a broken measurement never leaves the guest in a half-applied state. Results are
// keyed by step id.
//
// Step kinds:
//   {id, op:'exec', argv, netns?, allowFail?}          -> {code, stdout, stderr, ms}
//   {id, op:'spawn', argv, netns?}                      background process, stopped at the end
//   {id, op:'sleep', ms}
//   {id, op:'http', url, count, concurrency?, staggerMs?, netns?, localAddress?, timeoutMs?}
//        new TCP connection per request               -> {samples:[ms…], errors:[…]}
//   {id, op:'ping', dest, count, intervalS?, netns?}   -> {transmitted, received, rtts:[ms…]}
//   {id, op:'waitHttp', url, netns?, timeoutMs?}       retry until the URL answers
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

function inNetns(netns, argv) {
  return netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
}

function run(argv, { timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(err), ms: performance.now() - started });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

function httpOnce(url, { localAddress, timeoutMs }) {
  return new Promise((resolve) => {
    const started = performance.now();
    // agent:false forces a fresh TCP connection, so every sample pays the handshake.
    const req = http.get(url, { agent: false, localAddress, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ms: performance.now() - started, error: err.message }));
  });
}

// staggerMs spreads the concurrent workers' first requests: on the one-vCPU guest, requests
// that arrive in lockstep queue for the CPU, which would add to the latency being measured.
async function httpProbe({ url, count, concurrency = 1, staggerMs = 0, localAddress, timeoutMs = 10_000 }) {
  const samples = [];
  const errors = [];
  let next = 0;
  async function worker(_, index) {
    if (staggerMs) await new Promise((ok) => setTimeout(ok, index * staggerMs));
    while (next < count) {
      next += 1;
      const r = await httpOnce(url, { localAddress, timeoutMs });
      if (r.error || r.status !== 200) errors.push(r.error ?? `HTTP ${r.status}`);
      else samples.push(r.ms);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { samples, errors };
}

async function waitHttp({ url, timeoutMs = 15_000 }) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await httpOnce(url, { timeoutMs: 2_000 });
    if (!r.error && r.status === 200) return { ms: r.ms };
    if (performance.now() > deadline)
      throw new Error(`${url} did not answer within ${timeoutMs} ms: ${r.error ?? r.status}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

function parsePing(stdout) {
  const rtts = [];
  for (const m of stdout.matchAll(/icmp_seq=(\d+) .*time=([\d.]+) ms/g)) rtts.push(Number(m[2]));
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (!summary) throw new Error(`unexpected ping output: ${stdout.slice(-300)}`);
  return { transmitted: Number(summary[1]), received: Number(summary[2]), rtts };
}

// Measurements that must run inside a namespace re-run this file there (`--probe`), because a
// process cannot switch the network namespace of its sockets.
async function probeInNetns(step) {
  if (!step.netns) return step.op === 'http' ? httpProbe(step) : waitHttp(step);
  const { netns: _netns, ...inner } = step;
  const r = await run(inNetns(step.netns, [process.execPath, self, '--probe', JSON.stringify(inner)]), {
    timeoutMs: 600_000,
  });
  if (r.code !== 0) throw new Error(`probe in ${step.netns} failed (${r.code}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

const background = [];

async function runStep(step) {
  switch (step.op) {
    case 'exec': {
      const r = await run(inNetns(step.netns, step.argv), { timeoutMs: step.timeoutMs });
      if (r.code !== 0 && !step.allowFail) {
        throw Object.assign(new Error(`${step.argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`), { result: r });
      }
      return r;
    }
    case 'spawn': {
      const argv = inNetns(step.netns, step.argv);
      const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
      background.push(child);
      return { pid: child.pid };
    }
    case 'sleep':
      await new Promise((ok) => setTimeout(ok, step.ms));
      return {};
    case 'http':
    case 'waitHttp':
      return probeInNetns(step);
    case 'ping': {
      const interval = String(step.intervalS ?? 0.2);
      const argv = ['ping', '-n', '-c', String(step.count), '-i', interval, '-W', '2', step.dest];
      const r = await run(inNetns(step.netns, argv), { timeoutMs: 600_000 });
      if (r.code > 1) throw new Error(`ping ${step.dest} failed (${r.code}): ${r.stderr.trim()}`);
      return parsePing(r.stdout);
    }
    default:
      throw new Error(`unknown step op ${JSON.stringify(step.op)}`);
  }
}

// Main steps stop at the first failure; cleanup steps all run, whatever failed before them.
async function runSteps(steps, results, { stopOnError }) {
  const errors = [];
  for (const step of steps) {
    const startedAt = Date.now();
    try {
      results[step.id] = { ok: true, startedAt, ...(await runStep(step)), endedAt: Date.now() };
    } catch (err) {
      results[step.id] = { ok: false, startedAt, endedAt: Date.now(), error: err.message, ...(err.result ?? {}) };
      errors.push(`step ${step.id}: ${err.message}`);
      if (stopOnError) break;
    }
  }
  return errors.length ? errors.join('; ') : undefined;
}

async function main() {
  if (process.argv[2] === '--probe') {
    const step = JSON.parse(process.argv[3]);
    const out = step.op === 'http' ? await httpProbe(step) : await waitHttp(step);
    process.stdout.write(JSON.stringify(out));
    return;
  }
  const [planFile, resultsFile] = process.argv.slice(2);
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));
  const results = {};
  const error = await runSteps(plan.steps ?? [], results, { stopOnError: true });
  const cleanupError = await runSteps(plan.finally ?? [], results, { stopOnError: false });
  for (const child of background) child.kill('SIGTERM');
  writeFileSync(resultsFile, JSON.stringify({ error, cleanupError, results }, null, 1));
  if (error || cleanupError) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 2;
});

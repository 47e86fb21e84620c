import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { ADMIN_TOKEN, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { runCli, startCli } from './cli-process';

// The CLI against the real API and a real worker driving real runs on the host's Docker Engine.
// The host kernel has no netem, so the runs pause a container (same lifecycle as network faults):
// watch must follow each run to its end and exit with the code of its verdict.
jest.setTimeout(120_000);

const docker = new Docker();
const suffix = randomUUID().slice(0, 8);
const TARGET = `cli-target-${suffix}`;

describe('gameday CLI: run --watch, watch, abort and dry-run on real runs', () => {
  const stack = useStack({ name: 'cli-watch', api: { listen: true }, worker: 'real' });
  const { prisma, gameDayIds: ids } = stack;
  const dir = mkdtempSync(join(tmpdir(), 'gameday-cli-watch-'));
  let env: Record<string, string>;
  let targetUrl = '';

  beforeAll(async () => {
    const image = await ensureLabTargetImage(docker);
    const c = await docker.createContainer({ name: TARGET, Image: image, Labels: { 'gameday.enabled': 'true' } });
    await c.start();
    targetUrl = `http://${(await c.inspect()).NetworkSettings.Networks.bridge.IPAddress}/`;
    env = { GAMEDAY_URL: stack.url, GAMEDAY_TOKEN: ADMIN_TOKEN };
  });

  afterAll(async () => {
    await docker
      .getContainer(TARGET)
      .remove({ force: true })
      .catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const paused = async () => (await docker.getContainer(TARGET).inspect()).State.Paused;

  /** Applies a pause GameDay through the CLI and returns its id. */
  async function applyPause(
    label: string,
    extra: { tolerances?: unknown; durations?: Record<string, string>; container?: string } = {},
  ): Promise<string> {
    const spec = {
      name: `cli-watch-${label}-${suffix}`,
      timezone: 'UTC',
      schedule: { at: new Date(Date.now() + 3600_000).toISOString() },
      experiments: [
        {
          name: 'pause target',
          hypothesis: {
            description: 'the target fails while paused and is back right after',
            probes: [{ name: 'target', url: targetUrl, timeoutMs: 300, interval: '100ms' }],
            ...(extra.tolerances ? { tolerances: extra.tolerances } : {}),
          },
          fault: { kind: 'container', target: { container: extra.container ?? TARGET }, action: 'pause' },
          // arming runs during the baseline (none reserved): 4 s leaves room for a busy Docker Engine
          durations: extra.durations ?? { arming: '0s', baseline: '4s', fault: '3s', recovery: '2s' },
        },
      ],
    };
    const path = join(dir, `${label}.json`);
    writeFileSync(path, JSON.stringify(spec));
    const res = await runCli(['apply', '-f', path, '--output', 'json'], env);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    const id = JSON.parse(res.stdout).gameDay.id as string;
    ids.push(id);
    return id;
  }

  const heldTolerances = { fault: { minErrorRate: 0.8 }, recovery: { maxErrorRate: 0.2 } };

  it('run --watch follows the phases and the timeline and exits 0 when the hypothesis held', async () => {
    const id = await applyPause('held', { tolerances: heldTolerances });
    const res = await runCli(['run', id, '--watch', '--interval', '250'], env, undefined, 60_000);
    // the whole output on failure: the timeline says why a verdict was not reached
    expect({ code: res.code, stderr: res.stderr, stdout: res.code === 0 ? '' : res.stdout }).toEqual({
      code: 0,
      stderr: '',
      stdout: '',
    });
    const lines = res.stdout.trimEnd().split('\n');
    const runId = /^started run ([0-9a-f-]{36}) /.exec(lines[0])![1];
    // each event once, in order, as "HH:MM:SS.mmmZ  type  message"
    const types = lines.slice(1).flatMap((l) => /^\d\d:\d\d:\d\d\.\d{3}Z {2}(\S+)/.exec(l)?.[1] ?? []);
    const stored = await prisma.runEvent.findMany({ where: { runId }, orderBy: { id: 'asc' } });
    expect(types).toEqual(stored.map((e) => e.type));
    expect(types.filter((t) => t.startsWith('phase.'))).toEqual([
      'phase.arming',
      'phase.baseline',
      'phase.injecting',
      'phase.observing',
      'phase.rolling_back',
      'phase.recovery',
    ]);
    expect(lines.find((l) => / fault\.applied /.test(l))).toMatch(/\([+-]\d+ ms vs plan\)$/);
    expect(lines.slice(-2)).toEqual([
      `run ${runId} completed: hypothesis_held`,
      `report: gameday report ${runId} -o report.html`,
    ]);

    // watching a finished run prints the whole timeline and the same exit code; json: one object a line
    const again = await runCli(['watch', runId, '--output', 'json'], env);
    expect(again.code).toBe(0);
    const objects = again.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objects.filter((o) => o.kind === 'event').map((o) => o.type)).toEqual(stored.map((e) => e.type));
    expect(objects.at(-1)).toEqual({
      kind: 'result',
      runId,
      status: 'completed',
      verdict: 'hypothesis_held',
      error: null,
      abortReason: null,
      exitCode: 0,
    });

    const runs = await runCli(['runs', id], env);
    expect(runs.stdout).toMatch(new RegExp(`\\n${runId}\\s+completed\\s+hypothesis_held\\s+manual\\s+`));
  });

  it('watch exits 1 when the hypothesis was violated', async () => {
    // a baseline long enough that the watch, a second CLI process started after `run` returned,
    // draws its bar before the injection even when arming and its start are slow (CI once: arming
    // 3.5 s of a 4 s baseline, the first bar drawn while observing)
    const id = await applyPause('violated', {
      tolerances: { fault: { maxErrorRate: 0.1 } },
      durations: { arming: '0s', baseline: '10s', fault: '3s', recovery: '2s' },
    });
    const started = await runCli(['run', id, '--output', 'json'], env);
    const runId = JSON.parse(started.stdout).id as string;
    // in a terminal, with the progress bar drawn under the timeline
    const res = await startCli(['watch', runId, '--interval', '300'], env, undefined, { terminal: true }).done;
    expect(res.code).toBe(1);
    const screen = res.stdout.replace(/\r/g, '');
    expect(screen).toMatch(/ experiment\.verdict +pause target: hypothesis_violated \(fault errorRate /);
    // the last events arrive with the final status, in the poll that ends the watch: still printed
    expect(screen).toMatch(/ run\.completed +completed: hypothesis_violated\n/);
    expect(screen).toMatch(new RegExp(`run ${runId} completed: hypothesis_violated\\n`));
    expect(screen).toMatch(/[=-]{30} +\d+% \S+\/15s \| (scheduled|arming|baseline) · injection in \S+/);
    expect(screen).toMatch(/[=-]{30} +\d+% \S+\/15s \| observing · rollback in \S+/);
    // the cursor and line wrapping the bar turned off are back on before the summary
    expect(screen.lastIndexOf('\x1b[?25h')).toBeGreaterThan(screen.lastIndexOf('\x1b[?25l'));
    expect(screen.lastIndexOf('\x1b[?7h')).toBeGreaterThan(screen.lastIndexOf('\x1b[?7l'));
    expect(screen.indexOf('\x1b[?25h')).toBeLessThan(screen.indexOf(`run ${runId} completed`));
  });

  it('abort stops a live run; the watch of that run exits 2', async () => {
    const id = await applyPause('abort', { durations: { arming: '0s', baseline: '3s', fault: '30s', recovery: '1s' } });
    const runId = JSON.parse((await runCli(['run', id, '--output', 'json'], env)).stdout).id as string;
    const watch = startCli(['watch', runId, '--interval', '200'], env);
    try {
      await waitFor('the fault', async () => (await paused()) || null, 20_000, 50);
      await waitFor('watch to show the injection', async () => /phase\.observing/.test(watch.stdout()), 10_000);
      // Ctrl-C ends a watch, never the run
      const other = startCli(['watch', runId, '--interval', '200'], env);
      await waitFor('the second watch', async () => /phase\.observing/.test(other.stdout()), 10_000);
      other.child.kill('SIGINT');
      const interrupted = await other.done;
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toBe(`stopped watching; run ${runId} goes on (gameday abort ${runId} stops it)\n`);
      expect(await paused()).toBe(true);

      const aborted = await runCli(['abort', runId, '--reason', 'cli stop'], env);
      expect(aborted).toMatchObject({ code: 0, stderr: '' });
      const res = await watch.done;
      expect(res.code).toBe(2);
      expect(res.stdout).toMatch(/ run\.abort_requested +emergency stop requested: cli stop\n/);
      expect(res.stdout).toMatch(new RegExp(`\\nrun ${runId} aborted: aborted\\nabort reason: cli stop\\n`));
      expect(await paused()).toBe(false);
    } finally {
      watch.child.kill();
    }
  });

  it('dry-run shows the resolved target and exact commands; an unknown container gets the worker’s answer (exit 2)', async () => {
    const id = await applyPause('dry');
    const res = await runCli(['dry-run', id], env);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(
      /^dry run of GameDay [0-9a-f-]{36} \(version 1\), targets resolved at .*; nothing was applied\n/,
    );
    expect(res.stdout).toContain('experiment 1 "pause target" (container)\n');
    expect(res.stdout).toMatch(new RegExp(`\\n  target ${TARGET} \\([0-9a-f]{12}\\) via \\S+\\n`));
    expect(res.stdout).toMatch(/\n {4}apply: {2}.*\bpause\b/);
    expect(res.stdout).toMatch(/\n {4}revert: .*\bunpause\b/);
    expect(await paused()).toBe(false);

    const nobody = await applyPause('nobody', { container: `cli-nobody-${suffix}` });
    const missing = await runCli(['dry-run', nobody], env);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/experiment 1 "pause target" \(container\)\n {2}error: .*no eligible target/);
    expect(missing.stderr).toBe('1 experiment(s) could not be resolved\n');
    const json = JSON.parse((await runCli(['dry-run', nobody, '--output', 'json'], env)).stdout);
    expect(json.experiments[0].error).toMatch(/no eligible target/);

    // and a run of it fails at arming: no verdict, so watch exits 2 and says why
    const run = await runCli(['run', nobody, '--watch', '--interval', '250'], env, undefined, 60_000);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/\nrun [0-9a-f-]{36} failed: no verdict\nerror: .+\n/);
  });
});

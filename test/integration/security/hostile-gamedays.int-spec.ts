import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { planRun } from '@gameday/core';
import { startWorkerProcess, type WorkerProcess } from '../../../tools/lab/worker-process';
import { ADMIN_TOKEN, type JsonBody, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { isPaused, pauseGameDay, removeContainers, startTarget } from '../control/control-support';

/**
 * A GameDay whose stored requests HTTP forbids (a header with CR/LF, a character above 0xFF, a
 * smuggled request in the load...) must not take the worker down: the worker is what unpauses
 * every other run's container at its planned end. The API refuses such specs now, so they are
 * written to the database directly, as a row stored by an older version (or changed behind the
 * API's back) would hold them. The worker is a real process (its main, with the last-resort
 * handler) and the other runs' faults are real container pauses on the host's Docker Engine.
 */
jest.setTimeout(120_000);

const FAULT_MS = 3_000;
const ON_TIME_MS = 1_000;

describe('security: hostile GameDays do not stop the worker', () => {
  const stack = useStack({ name: 'sec-hostile' });
  const { config, prisma } = stack;
  const marker = `sec-hostile-${randomUUID().slice(0, 8)}`;
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'gameday-hostile-'));
  const targets: { name: string; url: string }[] = [];
  let worker: WorkerProcess;
  let sink: Server;
  let sinkUrl = '';
  let received = '';
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // where every hostile request points: raw TCP, so a smuggled request would show as bytes here
    sink = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
    for (let i = 0; i < 2; i++) targets.push(await startTarget(`hostile-${i}`));
    worker = await startWorkerProcess({
      name: 'hostile',
      logFile: path.join(logDir, 'worker.log'),
      env: {
        DATABASE_URL: config.DATABASE_URL,
        REDIS_URL: config.REDIS_URL,
        QUEUE_PREFIX: config.QUEUE_PREFIX,
        GAMEDAY_ADMIN_TOKEN: ADMIN_TOKEN,
        WORKER_RECONCILE: 'false',
        LOG_LEVEL: 'warn',
      },
    });
  });

  // the worker process goes first, as the stack's own worker would
  stack.beforeClose(async () => {
    await worker?.kill('SIGTERM');
  });

  afterAll(async () => {
    await removeContainers(targets.map((t) => t.name));
    for (const s of sockets) s.destroy();
    await new Promise((r) => sink?.close(r));
    rmSync(logDir, { recursive: true, force: true });
  });

  async function create(body: JsonBody): Promise<string> {
    const res = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body);
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    return res.body.id as string;
  }

  async function runNow(id: string): Promise<string> {
    const res = await stack.http.post(`/api/v1/gamedays/${id}/runs`).set(stack.admin).send({});
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /** A victim: pauses `target` for FAULT_MS; resolves once the run is started. */
  async function startVictim(target: { name: string; url: string }) {
    // arming gets 2 s: a busy host has been seen to start a run's executor 1.5 s after run-now
    const body = pauseGameDay(target, { arming: '2s', baseline: '3s', fault: `${FAULT_MS / 1000}s`, recovery: '1s' });
    body.name = `${marker} victim ${randomUUID().slice(0, 8)}`;
    return { target, runId: await runNow(await create(body)) };
  }

  /** Waits for the victim's pause, then for its removal; returns how late after the planned end (T1). */
  async function lateness(victim: { target: { name: string }; runId: string }): Promise<number> {
    await waitFor(`${victim.target.name} to be paused`, () => isPaused(victim.target.name), 30_000, 20);
    const run = await prisma.run.findUniqueOrThrow({ where: { id: victim.runId } });
    const plannedEnd = planRun(run.scheduledFor.getTime(), (run.spec as JsonBody).experiments).experiments[0].revertAt;
    while (Date.now() < plannedEnd + 10_000) {
      if (!(await isPaused(victim.target.name))) return Date.now() - plannedEnd;
      await new Promise((r) => setTimeout(r, 25));
    }
    return Infinity;
  }

  /**
   * What an older row (or one changed behind the API) may hold: every way into the probe, the
   * load and the webhooks that the API refuses today. The fault targets nothing that exists.
   */
  const HOSTILE: [string, (e: JsonBody, spec: JsonBody) => void][] = [
    ['a CR LF in a probe header', (e) => (e.hypothesis.probes[0].headers = { 'X-A': 'a\r\nb' })],
    ['a character above 0xFF in a probe header', (e) => (e.hypothesis.probes[0].headers = { 'X-A': 'caf€' })],
    // (a NUL never reaches a row: Postgres cannot store one in JSON)
    ['a control character in a probe header', (e) => (e.hypothesis.probes[0].headers = { 'X-A': 'a\u0007b' })],
    ['a space in a probe header name', (e) => (e.hypothesis.probes[0].headers = { 'X A': 'b' })],
    ['a Host override on a probe', (e) => (e.hypothesis.probes[0].headers = { Host: 'internal.example' })],
    ['probe headers that are not an object', (e) => (e.hypothesis.probes[0].headers = ['X-A', 'b'])],
    ['a probe header that is not text', (e) => (e.hypothesis.probes[0].headers = { 'X-A': { $gt: '' } })],
    [
      'a load header smuggling a request',
      (e) =>
        (e.load = {
          url: sinkUrl,
          rate: 20,
          concurrency: 1,
          timeoutMs: 1_000,
          headers: { 'X-A': 'a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: internal.example\r\n\r\n' },
        }),
    ],
    [
      'a load Content-Length making its body a second request',
      (e) =>
        (e.load = {
          url: sinkUrl,
          method: 'POST',
          rate: 20,
          concurrency: 1,
          timeoutMs: 1_000,
          headers: { 'Content-Length': '0' },
          body: 'GET /smuggled HTTP/1.1\r\nHost: internal.example\r\n\r\n',
        }),
    ],
    [
      'webhooks that are not URLs, with a CR LF probe header',
      (e, spec) => {
        spec.webhooks = [
          { url: 'not a url', events: ['run.started', 'run.failed'] },
          { url: 42, events: ['run.failed'] },
        ];
        e.hypothesis.probes[0].headers = { 'X-A': 'a\r\nb' };
      },
    ],
  ];

  /** Creates a valid GameDay through the API, then rewrites its stored row with `mutate`. */
  async function storeHostile(i: number): Promise<string> {
    const [label, mutate] = HOSTILE[i % HOSTILE.length];
    const id = await create(
      pauseGameDay(
        { name: `gd-hostile-nobody-${randomUUID().slice(0, 8)}`, url: sinkUrl },
        { arming: '1s', baseline: '2s', fault: '2s', recovery: '1s' },
      ),
    );
    const spec = (await prisma.gameDay.findUniqueOrThrow({ where: { id } })).spec as JsonBody;
    spec.name = `${marker} hostile ${i}: ${label}`;
    spec.experiments[0].hypothesis.probes[0].interval = '50ms';
    mutate(spec.experiments[0], spec);
    await prisma.gameDay.update({ where: { id }, data: { spec } });
    return id;
  }

  /**
   * The worker took each hostile run and refused its stored spec at once: the run is failed with
   * the field named, not left `scheduled` to be redelivered until the reaper calls it orphaned.
   */
  async function refusedByTheWorker(runIds: string[]): Promise<void> {
    let left = runIds;
    await waitFor(
      'the worker to have refused every hostile run',
      async () => {
        const runs = await prisma.run.findMany({ where: { id: { in: left } } });
        const refused = new Set(
          runs
            .filter((r) => r.status === 'failed' && /invalid spec: .*(headers|webhooks)/.test(r.error ?? ''))
            .map((r) => r.id),
        );
        left = left.filter((id) => !refused.has(id));
        return left.length === 0;
      },
      20_000,
      200,
    ).catch(() => undefined);
    expect({ notRefused: left.length }).toEqual({ notRefused: 0 });
  }

  async function uncaughtErrors(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(text).toContain('# TYPE gameday_uncaught_errors_total counter');
    return [...text.matchAll(/^gameday_uncaught_errors_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  }

  async function assertUp(): Promise<void> {
    expect({ alive: worker.alive, log: worker.alive ? '' : worker.logTail() }).toEqual({ alive: true, log: '' });
    const health = await fetch(`http://127.0.0.1:${worker.port}/healthz`);
    expect(health.status).toBe(200);
    // the requests were refused where they start; nothing had to be caught by the last resort
    expect(await uncaughtErrors()).toBe(0);
    expect(received).not.toMatch(/smuggled|internal\.example|\r\nb\r\n/);
  }

  it("one hostile GameDay started during another's fault does not stop that fault's removal", async () => {
    const victim = await startVictim(targets[0]);
    await waitFor('the victim to pause its target', () => isPaused(victim.target.name), 30_000, 20);
    const hostileRun = await runNow(await storeHostile(0));
    const late = await lateness(victim);
    console.log(`one hostile GameDay: the other run's pause removed at T1+${late} ms`);
    expect(late).toBeLessThanOrEqual(ON_TIME_MS);
    await refusedByTheWorker([hostileRun]);
    await assertUp();
  });

  it("a worker goes through 100 hostile GameDays and is still up, with every other run's fault removed on time", async () => {
    const hostile: string[] = [];
    for (let i = 0; i < 100; i += 10)
      hostile.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => storeHostile(i + k)))));
    const victims = await Promise.all(targets.map((t) => startVictim(t)));
    // watched from now on, while the hostile runs are launched through the victims' arming,
    // baseline and fault windows
    const watching = victims.map((v) => lateness(v));
    for (const w of watching) w.catch(() => undefined); // awaited below; a timeout must not go unhandled meanwhile
    const hostileRuns: string[] = [];
    for (let i = 0; i < hostile.length; i += 10)
      hostileRuns.push(...(await Promise.all(hostile.slice(i, i + 10).map((id) => runNow(id)))));
    expect(hostileRuns).toHaveLength(100);
    const late = await Promise.all(watching);
    console.log(`100 hostile GameDays: the other runs' pauses removed at T1+${late.join(', T1+')} ms`);
    for (const l of late) expect(l).toBeLessThanOrEqual(ON_TIME_MS);
    const ended = await Promise.all(
      victims.map((v) =>
        waitFor(
          'the victim run to end',
          async () => {
            const r = await prisma.run.findUniqueOrThrow({ where: { id: v.runId } });
            return ['completed', 'failed', 'aborted'].includes(r.status) ? r : null;
          },
          20_000,
          200,
        ),
      ),
    );
    expect(ended.map((r) => r.status)).toEqual(victims.map(() => 'completed'));
    await refusedByTheWorker(hostileRuns);
    await assertUp();
  });
});

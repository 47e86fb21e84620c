// The rollback lab: a Docker Engine on a kernel with sch_netem (user-mode-linux), a busybox HTTP
// target in it, the real API in-process, and real worker processes on the host driving that
// engine over the lab link. Tests schedule GameDays through the API, take workers and Redis away
// while a fault is active, and measure from the outside when the fault really ends.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import request from 'supertest';
import { parseConfig, type AppConfig } from '@gameday/config';
import { createPrismaClient, type PrismaClient } from '@gameday/db';
import type { FaultLease } from '@gameday/core';
import {
  ensureDnsImage,
  ensureHelperImage,
  ensureStressImage,
  ensureWatchdogImage,
  execInContainer,
  faultCapabilities,
} from '@gameday/faults';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { waitForHttp } from './http-probe';
import { ensureLabTargetImage } from './lab-images';
import { armingReserveS, describePace, measurePace, QUICK_PACE, type LabPace } from './lab-pace';
import { startPrivatePostgres, type PrivatePostgres } from './postgres-restart';
import { runTimeline } from './run-timeline';
import { releaseLab, sharedUmlDocker } from './shared-lab';
import { GUEST_ENGINE_SOCKET, type UmlDocker } from './uml-docker';
import { analyseWindow } from './fault-window';
import { describeSamples, LatencyWatcher } from './latency-watcher';
import { startObserver } from './target-observer';
import { type SampleClassifier, type TrialFault, type TrialPeer } from './trial-faults';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

export type { LatencySample } from './trial-faults';
export { analyseWindow, type FaultWindowSeen } from './fault-window';
export { LatencyWatcher } from './latency-watcher';

const ROOT = path.resolve(__dirname, '../..');
// `openssl rand -hex 32`: the configuration refuses guessable admin tokens
const ADMIN_TOKEN = '3b9bc2963b61ccd4447aae1dd5e923f78412f45d410fad572213e8d5ec13cbae';
const TARGET_PORT = 8080;
// A network of the lab's own (not the default bridge): Docker's embedded DNS resolves the targets
// by name there, which the dns trials fault, and each target reaches the other for the partition's.
const LAB_NETWORK = 'gameday-rollback-lab';
// The target's HTTP server is not its PID 1 (which a process kill never signals) and comes back a
// second after it died, as a supervised server does; busybox names the process after its file, so
// the copy is an `httpd` while PID 1 (a busybox `sleep`) is a `busybox`.
const LAB_TARGET_SERVER =
  'mkdir -p /tmp && cp /bin/busybox /tmp/httpd && ' +
  '(while :; do /tmp/httpd -f -p 80 -h /www; /bin/busybox sleep 1; done) & exec /bin/busybox sleep 1000000';

export interface RollbackLabOptions {
  /** names the queue prefix, database and log directory */
  name: string;
  /** a Redis database of its own: a test may flush it */
  redisDb: number;
  /** HTTP targets (trials alternate between them so one arms while another is faulted) */
  targets?: number;
  /** a Postgres of its own (a test restarts it), not the machine's shared one */
  privatePostgres?: boolean;
}

export interface TrialDurations {
  arming: string;
  baseline: string;
  fault: string;
  recovery: string;
  /** from the run's start to its fault's planned start, with the whole arming reserve used */
  untilStartMs: number;
}

export interface LabTarget {
  name: string;
  containerId: string;
  /** its index page, published on the lab's host address */
  url: string;
  /** its HTTP server as published, without a path: the watcher asks a trial's probe there */
  baseUrl: string;
  /** its IPv4 address on the lab's network */
  address: string;
  /** a container in the target's netns that reads its qdiscs and firewall tables */
  observerId: string;
  /** what the observer runs (startObserver) */
  observerImage: string;
  watcher: LatencyWatcher;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; the error names what was awaited. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Waits until the fault is gone as the host sees it (the target's watcher: a fast request after the
 * slow run) or the deadline has passed, asking the guest nothing: a docker exec in the one-vCPU
 * guest around T1 competes with the helper's own revert (back-to-back status reads there once made
 * a helper revert 6.6 s late). The helper's record is read once afterwards.
 */
export async function waitGoneFromHost(
  target: LabTarget,
  plannedStart: number,
  fault: SampleClassifier,
  deadlineAt: number,
): Promise<void> {
  await until(
    'the fault to be gone as seen from the host',
    async () =>
      analyseWindow(target.watcher.between(plannedStart - 1_000, Date.now()), fault).goneAt !== undefined ||
      Date.now() > deadlineAt,
    Math.max(1_000, deadlineAt + 1_000 - Date.now()),
    100,
  );
}

/**
 * Waits from the planned start until the host sees the fault (two slowed requests). The guest is
 * asked nothing: an exec in the one-vCPU guest costs ~2 s there, so polling the helper made the
 * tests kill their worker seconds late, once after the fault had already ended.
 */
export async function waitFaultSeenFromHost(
  target: LabTarget,
  plannedStart: number,
  fault: SampleClassifier,
  timeoutMs: number,
  onTimeout: () => Promise<string>,
): Promise<void> {
  await sleep(plannedStart - Date.now());
  await until(
    'the fault to show from the host',
    async () =>
      analyseWindow(target.watcher.between(plannedStart - 200, Date.now()), fault, 2).firstSlowAt !== undefined,
    timeoutMs,
    20,
  ).catch(async (e: Error) => {
    const seen = describeSamples(target.watcher.between(plannedStart - 10_000, Date.now()), plannedStart);
    throw new Error(`${e.message}\nthe host's requests from T0-10 s: ${seen}\n${await onTimeout()}`);
  });
}

/**
 * Resolves once a request started at or after `since` was shaped by the fault: it was still in
 * place then. A shaped request is seen when it ends, up to `fault.tailMs` after it started.
 */
export async function waitSlowedSince(
  target: LabTarget,
  since: number,
  fault: SampleClassifier & Pick<TrialFault, 'tailMs'>,
  timeoutMs = 3_000 + fault.tailMs,
): Promise<void> {
  await until(
    'a request started after the kill to be shaped by the fault',
    async () => target.watcher.between(since, Date.now()).some((x) => fault.shaped(x)),
    timeoutMs,
    20,
  );
}

export interface HelperStatus {
  state: string;
  appliedAt?: number;
  revertedAt?: number;
  revertReason?: string;
}

/** How many plain helper armings arming `fault` costs (TrialFault.armingCost). */
const armingCostOf = (fault: TrialFault): number => fault.armingCost ?? fault.leases ?? 1;

/** Which rollback layer a revert reason names (helper record or lease row). */
export function layerOf(reason: string | undefined | null): string {
  if (!reason) return '?';
  const r = reason.replace(/^helper_/, '');
  if (r === 'scheduled') return 'helper clock at T1';
  if (r === 'planned_end') return 'fault queue (delayed revert job)';
  if (r === 'reaper') return 'reaper (Postgres)';
  if (r === 'expired') return 'helper self-expiry';
  return r;
}

/** Helper states that say what became of a planned apply. */

export class RollbackLab {
  readonly workers: WorkerProcess[] = [];
  readonly gameDayIds: string[] = [];
  readonly logDir: string;
  private workerCount = 0;
  /** the guest's speed when this file started (tools/lab/lab-pace.ts) */
  pace: LabPace = QUICK_PACE;
  /** the armings seen so far, per helper (ms) */
  private readonly armedMs: number[] = [];

  constructor(
    readonly lab: UmlDocker,
    readonly api: INestApplication,
    readonly prisma: PrismaClient,
    readonly config: AppConfig,
    readonly helperImage: string,
    readonly watchdogImage: string,
    readonly targets: LabTarget[],
    readonly name: string,
    readonly postgres?: PrivatePostgres,
  ) {
    this.logDir = mkdtempSync(path.join(os.tmpdir(), `gameday-${name}-`));
  }

  get http() {
    return request(this.api.getHttpServer());
  }

  get alive(): WorkerProcess[] {
    return this.workers.filter((w) => w.alive);
  }

  /** Seconds of arming to reserve for a fault costing `cost` plain armings: from the guest's pace and the armings seen. */
  armingReserveS(cost = 1): number {
    return armingReserveS(this.pace, this.armedMs) * cost;
  }

  /**
   * A trial's phases: arming from the guest's pace and the armings seen, a short unjudged baseline
   * (GAMEDAY_LAB_BASELINE_S, 5 s: arming happens ahead of it), then the fault and its recovery.
   */
  trialDurations(fault: TrialFault, faultS: number, recoveryS: number): TrialDurations {
    const armingS = this.armingReserveS(armingCostOf(fault));
    const baselineS = Number(process.env.GAMEDAY_LAB_BASELINE_S ?? 5);
    return {
      arming: `${armingS}s`,
      baseline: `${baselineS}s`,
      fault: `${faultS}s`,
      recovery: `${recoveryS}s`,
      untilStartMs: (armingS + baselineS) * 1_000,
    };
  }

  /** Records how long a run armed (a fault costing `cost` plain armings), so the next reserve learns from it. */
  noteArming(ms: number | null, cost = 1): void {
    if (ms !== null && ms > 0) this.armedMs.push(ms / cost);
  }

  /** A worker process driving the guest's engine, with a fast reaper so expired leases go quickly. */
  async startWorker(extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
    const name = `worker-${++this.workerCount}`;
    const w = await startWorkerProcess({
      name,
      logFile: path.join(this.logDir, `${name}.log`),
      env: {
        DATABASE_URL: this.config.DATABASE_URL,
        REDIS_URL: this.config.REDIS_URL,
        QUEUE_PREFIX: this.config.QUEUE_PREFIX,
        GAMEDAY_ADMIN_TOKEN: ADMIN_TOKEN,
        DOCKER_HOST: `tcp://${this.lab.host}:${this.lab.port}`,
        GAMEDAY_HELPER_IMAGE: this.helperImage,
        // loaded into the guest with the lab (its engine cannot build images: no registry there)
        GAMEDAY_WATCHDOG_IMAGE: this.watchdogImage,
        GAMEDAY_ENGINE_SOCKET: GUEST_ENGINE_SOCKET,
        WORKER_RECONCILE: 'false',
        LOG_LEVEL: 'info',
        GAMEDAY_REAPER_INTERVAL_MS: '500',
        GAMEDAY_ORPHAN_AFTER_MS: '3000',
        ...extraEnv,
      },
    });
    this.workers.push(w);
    return w;
  }

  /** Creates a GameDay with `fault` on the lab target and runs it now; returns the run id. */
  async runNow(label: string, target: LabTarget, fault: TrialFault, durations: TrialDurations): Promise<string> {
    const peer = this.watchOnly(target, fault);
    return this.startRun(label, target, fault.label, { fault: fault.spec(target.name, peer) }, durations);
  }

  /**
   * A run of one experiment with `steps` on one target (each step one of the trial faults, at its
   * offset for its duration). The target is watched as for the first step's fault.
   */
  async runSteps(
    label: string,
    target: LabTarget,
    steps: { name: string; at: string; duration: string; fault: TrialFault }[],
    durations: TrialDurations,
  ): Promise<string> {
    const peer = this.watchOnly(target, steps[0].fault);
    const body = steps.map((s) => ({
      name: s.name,
      at: s.at,
      duration: s.duration,
      fault: s.fault.spec(target.name, peer),
    }));
    return this.startRun(label, target, steps.map((s) => s.name).join('+'), { steps: body }, durations);
  }

  /** Watches `target` alone, as `fault` shows (the probe it needs); the peer it may act against. */
  private watchOnly(target: LabTarget, fault: TrialFault): TrialPeer | undefined {
    // only the target under test is watched: each watched request costs the guest a process
    for (const t of this.targets) if (t !== target) t.watcher.pause();
    const other = this.targets.find((t) => t !== target);
    const peer: TrialPeer | undefined = other && { name: other.name, address: other.address };
    // a static page is cheap and must be asked on while a request hangs (a pause, a delay); a CGI
    // probe costs the guest a few forks a request, so one at a time (LatencyWatcher.aim)
    const probe = fault.probePath?.(peer);
    target.watcher.aim(target.baseUrl + (probe ?? '/index.html'), probe ? 1 : Infinity);
    target.watcher.start();
    return peer;
  }

  private async startRun(
    label: string,
    target: LabTarget,
    experiment: string,
    faults: { fault: unknown } | { steps: unknown[] },
    durations: TrialDurations,
  ): Promise<string> {
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await this.http
      .post('/api/v1/gamedays')
      .set(auth)
      .send({
        name: `${label}-${randomUUID().slice(0, 8)}`,
        timezone: 'UTC',
        schedule: { at: new Date(Date.now() + 3_600_000).toISOString() },
        experiments: [
          {
            name: experiment,
            hypothesis: {
              description: 'the target answers through the fault',
              probes: [{ name: 'target', url: target.url, timeoutMs: 2_000, interval: '1s' }],
            },
            ...faults,
            durations: {
              arming: durations.arming,
              baseline: durations.baseline,
              fault: durations.fault,
              recovery: durations.recovery,
            },
          },
        ],
      });
    if (created.status !== 201)
      throw new Error(`creating the GameDay: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    this.gameDayIds.push(created.body.id);
    const started = await this.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(auth).send({});
    if (started.status !== 201)
      throw new Error(`starting the run: HTTP ${started.status} ${JSON.stringify(started.body)}`);
    return started.body.id as string;
  }

  /** The helper's own record of its fault (epoch ms), or null when the helper is gone. */
  async helperStatus(helperId: string): Promise<HelperStatus | null> {
    const r = await execInContainer(this.lab.docker, helperId, ['gameday-helper', 'status']).catch(() => null);
    if (!r || r.exitCode !== 0) return null;
    const kv = Object.fromEntries(
      r.stdout
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
    );
    const ms = (v: string | undefined) => (v && /^\d+$/.test(v) && v !== '0' ? Number(v) : undefined);
    return {
      state: kv.state,
      appliedAt: ms(kv.applied_at),
      revertedAt: ms(kv.reverted_at),
      revertReason: kv.revert_reason || undefined,
    };
  }

  /**
   * The fault's own record of when it went in and out: the helper's, for a kind whose helper keeps
   * the clock; else (a container pause: the worker applies it, its watchdog only acts at the
   * deadline and goes with the revert) the lease's, once closed (null if not within waitMs).
   */
  async faultRecord(
    lease: { id: string; kind: string; strategy: string; helperContainerId: string | null },
    waitMs = 15_000,
  ): Promise<HelperStatus | null> {
    if (faultCapabilities(lease as unknown as FaultLease).clock === 'helper')
      return lease.helperContainerId ? this.helperStatus(lease.helperContainerId) : null;
    const row = await until(
      'the lease to be closed',
      async () => {
        const r = await this.prisma.activeFault.findUnique({ where: { id: lease.id } });
        return r?.revertedAt ? r : null;
      },
      waitMs,
      200,
    ).catch(() => null);
    if (!row) return null;
    return {
      state: 'reverted',
      appliedAt: row.injectedAt?.getTime(),
      revertedAt: row.revertedAt?.getTime(),
      revertReason: row.revertReason ?? undefined,
    };
  }

  /**
   * The record of a run's fault over all its leases (a partition holds one per side): applied at
   * the first helper's instant, reverted at the last one's, `reverted` only when every one is.
   */
  async faultRecordOf(
    leases: readonly { id: string; kind: string; strategy: string; helperContainerId: string | null }[],
  ): Promise<HelperStatus | null> {
    const records = await Promise.all(leases.map((l) => this.faultRecord(l)));
    if (!records.length || records.some((r) => r === null)) return records.length === 1 ? records[0] : null;
    const rs = records as HelperStatus[];
    const times = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
    const applied = times(rs.map((r) => r.appliedAt));
    const last = rs.reduce((a, r) => ((r.revertedAt ?? Infinity) > (a.revertedAt ?? Infinity) ? r : a));
    return {
      state: rs.find((r) => r.state !== 'reverted')?.state ?? 'reverted',
      appliedAt: applied.length ? Math.min(...applied) : undefined,
      revertedAt: rs.every((r) => r.revertedAt !== undefined) ? last.revertedAt : undefined,
      revertReason: last.revertReason,
    };
  }

  /**
   * The fault's planned window: T0 as the run announced it (fault.armed), T1 the lease's expiry,
   * whoever keeps the clock (a helper's plan or the worker's, with a container fault's watchdog).
   */
  async plannedWindow(
    runId: string,
    lease: { expiresAt: Date },
    waitMs = 10_000,
  ): Promise<{ plannedStart: number; plannedEnd: number }> {
    const armed = await until(
      'the fault.armed event',
      () => this.prisma.runEvent.findFirst({ where: { runId, type: 'fault.armed', plannedAt: { not: null } } }),
      waitMs,
      100,
    );
    return { plannedStart: armed.plannedAt!.getTime(), plannedEnd: lease.expiresAt.getTime() };
  }

  /**
   * Restarts a target as `docker restart` does (new network and PID namespaces, the same writable
   * layer and tmpfs options), and its observer after it, which the old namespaces would keep.
   * Returns when the engine says the target started again (its clock: the guest's, read off the host's).
   */
  async restartTarget(t: LabTarget): Promise<number> {
    const c = this.lab.docker.getContainer(t.containerId);
    await c.restart({ t: 1 });
    const info = await c.inspect();
    t.observerId = await startObserver(this.lab.docker, t.containerId, `${t.name}-observer`, t.observerImage);
    t.address = info.NetworkSettings.Networks[LAB_NETWORK]?.IPAddress ?? t.address;
    return Date.parse(info.State.StartedAt);
  }

  /**
   * What of `fault` is left with any of the lab's targets (a partition's rules are on both sides),
   * read by each one's observer and inside each target.
   */
  async residual(fault: TrialFault): Promise<string[]> {
    const left: string[] = [];
    for (const t of this.targets) {
      const found = await fault.residual({
        netns: (argv) => execInContainer(this.lab.docker, t.observerId, argv),
        target: (argv) => execInContainer(this.lab.docker, t.containerId, argv),
      });
      left.push(...found.map((f) => `${t.name}: ${f}`));
    }
    return left;
  }

  /**
   * Waits (up to `timeoutMs`) until no helper container is left in the lab's engine: the workers
   * remove a run's helpers once it has ended, a moment after its status says so. Returns how many
   * are still there; the release check then names them.
   */
  async helpersGone(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = (await this.lab.docker.listContainers({ all: true })).filter((c) =>
        c.Names.some((n) => n.startsWith('/gameday-helper-')),
      ).length;
      if (left === 0 || Date.now() > deadline) return left;
      await sleep(250);
    }
  }

  /**
   * How long the run armed: its arming.done's own figure (helpers started, clocks measured, every
   * schedule handed over), else its phase.arming event to its fault.armed. Not fault.armed alone: a
   * fault the worker applies itself (a container pause) records its lease, and that event, at T0,
   * and its arming read as the whole reserve plus the baseline. Null if not within waitMs.
   */
  async armingMs(runId: string, waitMs = 5_000): Promise<number | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const events = await this.prisma.runEvent.findMany({
        where: { runId, type: { in: ['phase.arming', 'fault.armed', 'arming.done'] } },
        orderBy: { id: 'asc' },
      });
      const done = events.find((e) => e.type === 'arming.done')?.data as { armingMs?: number } | undefined;
      if (typeof done?.armingMs === 'number') return Math.round(done.armingMs);
      const from = events.find((e) => e.type === 'phase.arming');
      const to = events.find((e) => e.type === 'fault.armed');
      if (from && to) return to.at.getTime() - from.at.getTime();
      if (Date.now() > deadline) return null;
      await sleep(100);
    }
  }

  /**
   * The run's lease once its fault is armed (the run's timeline in the error when none comes within
   * `withinMs`), with the arming noted for the next reserve and the fault's planned window.
   */
  async armedLease(runId: string, fault: TrialFault, withinMs: number, armingWaitMs = 0) {
    const lease = await until(
      'the lease of the armed fault',
      () => this.prisma.activeFault.findFirst({ where: { runId } }),
      withinMs,
      100,
    ).catch(async (e: Error) => {
      // an arming that overran its reserve still teaches the next reserve (a retry's)
      this.noteArming(await this.armingMs(runId, 0), armingCostOf(fault));
      throw new Error(`${e.message}\n${await this.timeline(runId)}\n${await this.engineContainers()}`);
    });
    const armedInMs = await this.armingMs(runId, armingWaitMs);
    this.noteArming(armedInMs, armingCostOf(fault));
    return { lease, armedInMs, ...(await this.plannedWindow(runId, lease)) };
  }

  /**
   * What the guest's engine holds, a line each, for failure messages: a process-kill arming that
   * took three times its usual time beside the trials said nothing of what else the guest was doing.
   */
  async engineContainers(): Promise<string> {
    const list = await this.lab.docker.listContainers({ all: true }).catch((e: Error) => e);
    if (list instanceof Error) return `the engine's containers: not listed (${list.message})`;
    const lines = list.map(
      (c) =>
        `  ${c.Names.join(',')} ${c.State} (${c.Status}), created ${new Date(c.Created * 1_000).toISOString().slice(11, 19)}`,
    );
    return [`the engine's containers (${list.length}):`, ...lines].join('\n');
  }

  /** The run's events, one line each, for failure messages. */
  timeline(runId: string): Promise<string> {
    return runTimeline(this.prisma, runId);
  }

  async flushRedis(): Promise<void> {
    const redis = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      await redis.flushdb();
    } finally {
      redis.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.watcher.stop()));
    await Promise.all(this.workers.map((w) => w.kill()));
    await this.api.close().catch(() => undefined);
    // GAMEDAY_LAB_KEEP=1 keeps the rows (and the worker logs) for a look afterwards
    if (this.gameDayIds.length && process.env.GAMEDAY_LAB_KEEP !== '1') {
      await this.prisma.activeFault
        .deleteMany({ where: { run: { gameDayId: { in: this.gameDayIds } } } })
        .catch(() => undefined);
      await this.prisma.run.deleteMany({ where: { gameDayId: { in: this.gameDayIds } } }).catch(() => undefined);
      await this.prisma.gameDay.deleteMany({ where: { id: { in: this.gameDayIds } } }).catch(() => undefined);
    }
    await this.prisma.$disconnect();
    await this.postgres?.stop();
    // the database index is this lab's own: nothing else lives there
    await this.flushRedis().catch(() => undefined);
    if (process.env.GAMEDAY_LAB_KEEP !== '1') rmSync(this.logDir, { recursive: true, force: true });
  }

  /** After stop(): removes the targets and lets the lab go (see releaseLab); returns what was left behind. */
  async release(): Promise<string[]> {
    return releaseLab(
      this.lab,
      this.targets.flatMap((t) => [t.observerId, t.containerId]),
    );
  }
}

/** Applies the migrations to the lab's own database (created when missing). */
async function migrate(databaseUrl: string): Promise<void> {
  await promisify(execFile)('bash', [path.join(ROOT, 'scripts/db-migrate.sh'), 'deploy'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    timeout: 120_000,
  }).catch((e: Error & { stderr?: string }) => {
    throw new Error(
      `migrating the lab database failed (is Postgres up at 127.0.0.1:5432?): ${e.message}\n${e.stderr ?? ''}`,
    );
  });
}

/** Boots the guest and everything around it. The caller must `stop()` the lab and then `lab.lab.stop()`. */
export async function startRollbackLab(opts: RollbackLabOptions): Promise<RollbackLab> {
  const postgres = opts.privatePostgres ? await startPrivatePostgres() : undefined;
  const server = postgres ? new URL(postgres.baseUrl).host : '127.0.0.1:5432';
  const databaseUrl = `postgresql://postgres@${server}/gameday_lab_${opts.name.replace(/[^a-z0-9]/g, '_')}`;
  const redisUrl = `redis://127.0.0.1:6379/${opts.redisDb}`;
  const hostDocker = new Docker();
  const [, targetImage, helperImage, watchdogImage] = await Promise.all([
    migrate(databaseUrl),
    ensureLabTargetImage(hostDocker),
    ensureHelperImage(hostDocker),
    ensureWatchdogImage(hostDocker),
  ]);
  // the dns and stress kinds' helpers are images of their own, built on the helper's
  const kindImages = [await ensureDnsImage(hostDocker, helperImage), await ensureStressImage(hostDocker, helperImage)];
  const lab = await sharedUmlDocker([targetImage, helperImage, watchdogImage, ...kindImages], hostDocker);
  const targets: LabTarget[] = [];
  try {
    // a shared engine keeps it from an earlier file of this process
    const networks = await lab.docker.listNetworks({ filters: { name: [LAB_NETWORK] } });
    if (!networks.some((n) => n.Name === LAB_NETWORK))
      await lab.docker.createNetwork({ Name: LAB_NETWORK, Driver: 'bridge' });
    for (let i = 0; i < (opts.targets ?? 1); i++) {
      const name = `rollback-target-${i + 1}`;
      // a shared engine may still hold them from a file that could not clean up
      for (const old of [`${name}-observer`, name])
        await lab.docker
          .getContainer(old)
          .remove({ force: true })
          .catch(() => undefined);
      const target = await lab.docker.createContainer({
        name,
        Image: targetImage,
        Cmd: ['sh', '-c', LAB_TARGET_SERVER],
        Labels: { 'gameday.enabled': 'true' },
        ExposedPorts: { '80/tcp': {} },
        // its PID 1 (a sleep) has no TERM handler: a stop fault would wait Docker's 10 s before the
        // KILL, past the trials' 8 s window; a service that ends on TERM stops at once
        StopTimeout: 1,
        HostConfig: {
          NetworkMode: LAB_NETWORK,
          PortBindings: { '80/tcp': [{ HostIp: lab.host, HostPort: String(TARGET_PORT + i) }] },
          // a filesystem of its own for the disk-fill trials (the guest's disk is the engine's storage)
          Tmpfs: { '/data': 'size=64m' },
        },
      });
      await target.start();
      const address = (await target.inspect()).NetworkSettings.Networks[LAB_NETWORK]?.IPAddress;
      if (!address) throw new Error(`${name} has no address on ${LAB_NETWORK}`);
      const observerId = await startObserver(lab.docker, target.id, `${name}-observer`, kindImages[0]);
      const baseUrl = `http://${lab.host}:${TARGET_PORT + i}`;
      const url = `${baseUrl}/index.html`;
      await waitForHttp(url);
      // every request is a fork of busybox httpd in the one-vCPU guest (tens to hundreds of ms
      // each): two targets watched every 100 ms starved arming for over 47 s on a slow machine
      targets.push({
        name,
        containerId: target.id,
        url,
        baseUrl,
        address,
        observerId,
        observerImage: kindImages[0],
        watcher: new LatencyWatcher(url, 250),
      });
    }

    const config = parseConfig({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      GAMEDAY_ADMIN_TOKEN: ADMIN_TOKEN,
      QUEUE_PREFIX: `gdlab-${opts.name}`,
      LOG_LEVEL: 'warn',
      WORKER_RECONCILE: 'false',
    });
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await redis.ping();
      await redis.flushdb(); // leftovers of an interrupted earlier run of this lab
    } catch (e) {
      throw new Error(`Redis at ${redisUrl} is not reachable: ${(e as Error).message}`, { cause: e });
    } finally {
      redis.disconnect();
    }
    const api = await createApiApp(config, { logger: false });
    await api.init();
    const prisma = createPrismaClient(databaseUrl);
    const rl = new RollbackLab(lab, api, prisma, config, helperImage, watchdogImage, targets, opts.name, postgres);
    rl.pace = await measurePace(lab.docker, targetImage);
    process.stdout.write(`${opts.name}: ${describePace(rl.pace)}\n`);
    targets[0]?.watcher.start();
    return rl;
  } catch (e) {
    await releaseLab(
      lab,
      targets.flatMap((t) => [t.observerId, t.containerId]),
    );
    await postgres?.stop();
    throw e;
  }
}

/** Whether a process still exists (the guest's kernel process after stop(), say). */

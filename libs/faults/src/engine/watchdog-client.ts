import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import {
  clockOffset,
  ClockOffsetError,
  clockOffsetTooLarge,
  systemClock,
  type Clock,
  type ClockOffset,
  type ClockReading,
  type ResolvedTarget,
} from '@gameday/core';
import { inspectOrNull, isNotFound, isNotModified, removeContainer, shortName } from './docker-exec';
import { HELPER_ROLE_LABEL, HELPER_TARGET_LABEL } from './helper-client';
import { ensureWatchdogImage } from './helper-image';
import {
  demuxDockerLog,
  engineInstantMs,
  parseWatchdogLog,
  watchdogArgv,
  type WatchdogAction,
  type WatchdogRecord,
} from './watchdog-protocol';

export const WATCHDOG_ROLE = 'watchdog';
export const WATCHDOG_ARMING_LABEL = 'gameday.arming';
/** where the watchdog finds the engine's socket inside its container (the binary's constant) */
const SOCKET_IN_CONTAINER = '/var/run/docker.sock';
const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';

export interface WatchdogOptions {
  /** the image tag; default: built from the helper context's `watchdog` stage on first use */
  image?: string;
  contextDir?: string;
  /**
   * The engine's unix socket on the engine's host, mounted into the watchdog. Default: the
   * socket this client talks through when it is a local one, else /var/run/docker.sock.
   */
  socketPath?: string;
}

export interface ArmedWatchdog {
  id: string;
  offset: ClockOffset;
  /** the deadline handed over, epoch ms by the engine's clock */
  engineDeadlineMs: number;
  /** the target's State.StartedAt it guards */
  startedAt: string;
}

/**
 * The per-fault watchdog of a container fault on one engine: armed before the fault is applied
 * with one target, the fault's arming id and its deadline; told to stand down (USR1) by the normal
 * revert and by a fault armed later on the same target; its log read back as its record.
 */
export class WatchdogClient {
  private image?: string;

  constructor(
    private readonly docker: Docker,
    private readonly engine: string,
    private readonly clock: Clock = systemClock,
    private readonly options: WatchdogOptions = {},
  ) {
    this.image = options.image;
  }

  private socketPath(): string {
    const local = (this.docker.modem as { socketPath?: unknown }).socketPath;
    return this.options.socketPath ?? (typeof local === 'string' ? local : DEFAULT_ENGINE_SOCKET);
  }

  /**
   * Measures the engine's clock against ours from `docker info` (SystemTime: the engine host's
   * clock, which is the watchdog's), tells earlier watchdogs of the target to stand down, starts
   * this one and waits for its "armed" line. Throws, leaving nothing, when it refuses.
   */
  async arm(
    target: ResolvedTarget,
    plan: { action: WatchdogAction; armingId: string; deadlineAt: Date; maxClockOffsetMs?: number },
  ): Promise<ArmedWatchdog> {
    // independent reads at once: on a busy engine each costs tens of ms or more
    const [image, info, offset] = await Promise.all([
      this.image ?? ensureWatchdogImage(this.docker, { contextDir: this.options.contextDir }),
      inspectOrNull(this.docker, target.containerId),
      this.measureOffset(),
    ]);
    this.image = image;
    if (!info?.State?.Running || info.State.Paused)
      throw new Error(`${target.containerName} is not running: a container fault needs a running target`);
    if (plan.maxClockOffsetMs !== undefined && clockOffsetTooLarge(offset, plan.maxClockOffsetMs))
      throw new ClockOffsetError(this.engine, offset, plan.maxClockOffsetMs);
    await this.standDownOthers(target.containerId);
    const engineDeadlineMs = plan.deadlineAt.getTime() + offset.correctionMs;
    const startedAt = info.State.StartedAt;
    const name = `gameday-watchdog-${shortName(target.containerName)
      .replace(/[^a-zA-Z0-9_.-]/g, '-')
      .slice(0, 40)}-${randomBytes(3).toString('hex')}`;
    const container = await this.docker.createContainer({
      name,
      Image: image,
      Cmd: watchdogArgv({
        targetId: info.Id,
        armingId: plan.armingId,
        deadlineMs: engineDeadlineMs,
        action: plan.action,
        startedAt,
      }),
      Labels: {
        [HELPER_ROLE_LABEL]: WATCHDOG_ROLE,
        [HELPER_TARGET_LABEL]: info.Id,
        [WATCHDOG_ARMING_LABEL]: plan.armingId,
        'gameday.engine': this.engine,
      },
      HostConfig: {
        // the one written exception to "only the worker holds the Docker socket" (README, security
        // model): no network, nothing writable, no capabilities, one static binary
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Mounts: [{ Type: 'bind', Source: this.socketPath(), Target: SOCKET_IN_CONTAINER }],
        // a restarted watchdog would refuse anyway (its target is no longer as armed)
        RestartPolicy: { Name: 'no' },
        Memory: 16 * 1024 * 1024,
        PidsLimit: 8,
      },
    });
    try {
      await container.start();
      const record = await this.awaitArmed(container.id);
      if (!record.armed)
        throw new Error(`the watchdog of ${target.containerName} refused to arm: ${record.refused ?? 'no record'}`);
      return { id: container.id, offset, engineDeadlineMs, startedAt };
    } catch (err) {
      await removeContainer(this.docker, container.id);
      throw err;
    }
  }

  /** The engine's clock against ours; a slow read (a busy engine) is retried once, as the helper's. */
  private async measureOffset(): Promise<ClockOffset> {
    const readings: ClockReading[] = [];
    for (let i = 0; i < 2; i++) {
      const sentAt = this.clock.now().getTime();
      const { SystemTime } = (await this.docker.info()) as { SystemTime?: string };
      const receivedAt = this.clock.now().getTime();
      const remoteAt = engineInstantMs(SystemTime ?? '');
      if (Number.isFinite(remoteAt)) readings.push({ sentAt, remoteAt, receivedAt });
      if (readings.length && clockOffset(readings).uncertaintyMs <= 100) break;
    }
    if (readings.length === 0) throw new Error(`engine ${this.engine} reported no SystemTime`);
    return clockOffset(readings);
  }

  /**
   * Follows its log until the first line that says whether it armed (or it exits): one stream,
   * not a poll, so arming costs no more than the watchdog's own start.
   */
  private async awaitArmed(id: string, timeoutMs = 10_000): Promise<WatchdogRecord> {
    const stream = (await this.docker
      .getContainer(id)
      .logs({ stdout: true, stderr: false, follow: true })) as NodeJS.ReadableStream & { destroy?: () => void };
    const chunks: Buffer[] = [];
    const read = () => parseWatchdogLog(demuxDockerLog(Buffer.concat(chunks)));
    try {
      return await new Promise<WatchdogRecord>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`watchdog ${id.slice(0, 12)} did not report within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const done = (r: WatchdogRecord) => {
          clearTimeout(timer);
          resolve(r);
        };
        stream.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          const r = read();
          if (r.armed || r.refused) done(r);
        });
        stream.on('end', () => done(read()));
        stream.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    } finally {
      stream.destroy?.();
    }
  }

  /**
   * Its record so far (its log); empty when it is gone or going (409: being removed, as by the
   * executor that armed it when another executor took its run: an arming that stood it down failed
   * on that once).
   */
  async record(id: string, armingId?: string): Promise<WatchdogRecord> {
    try {
      const buf = (await this.docker.getContainer(id).logs({ stdout: true, stderr: false, follow: false })) as Buffer;
      return parseWatchdogLog(demuxDockerLog(buf), armingId);
    } catch (err) {
      if (!isNotFound(err) && (err as { statusCode?: number }).statusCode !== 409) throw err;
      return parseWatchdogLog('');
    }
  }

  /**
   * Tells a watchdog to stand down (USR1) and waits until it has exited, so that nothing it could
   * do lands after the caller acts; one that does not exit within 3 s is removed (SIGKILL).
   * Returns its record (what it did before, if anything).
   */
  async standDown(id: string, armingId?: string): Promise<WatchdogRecord> {
    const c = this.docker.getContainer(id);
    await c.kill({ signal: 'SIGUSR1' }).catch((err: unknown) => {
      // 404: gone; 409: not running (it acted or stood down already)
      const status = (err as { statusCode?: number }).statusCode;
      if (!isNotFound(err) && status !== 409 && !isNotModified(err)) throw err;
    });
    for (let i = 0; i < 150; i++) {
      const info = await inspectOrNull(this.docker, id);
      if (!info?.State?.Running) return this.record(id, armingId);
      await new Promise((r) => setTimeout(r, 20));
    }
    const record = await this.record(id, armingId);
    await this.remove(id);
    return record;
  }

  /** A fault armed later on the same target: every running watchdog of it stands down. */
  async standDownOthers(targetId: string): Promise<string[]> {
    const running = await this.docker.listContainers({
      filters: { label: [`${HELPER_ROLE_LABEL}=${WATCHDOG_ROLE}`, `${HELPER_TARGET_LABEL}=${targetId}`] },
    });
    await Promise.all(running.map((c) => this.standDown(c.Id)));
    return running.map((c) => c.Id);
  }

  remove(id: string): Promise<void> {
    return removeContainer(this.docker, id);
  }
}

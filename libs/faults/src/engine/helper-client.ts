import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { systemClock, type Clock, type ClockReading, type HelperTimeline, type ResolvedTarget } from '@gameday/core';
import { execInContainer, isNotFound, removeContainer, shortName } from './docker-exec';
import { ensureDnsImage, ensureHelperImage, ensureStressImage } from './helper-image';
import {
  abortLine,
  abortNonceEnv,
  encodeHelperSteps,
  heartbeatEnv,
  parseHelperStatus,
  parseKeyValues,
} from './helper-protocol';
import { HelperStdinStreams } from './helper-stdin';

export const HELPER_ROLE_LABEL = 'gameday.role';
export const HELPER_TARGET_LABEL = 'gameday.target';
/**
 * NET_RAW: iptables-legacy talks to the kernel through a raw socket. SETUID, SETGID, KILL: a dns
 * helper starts its resolver as a uid of its own and stops it again (processes in the helper's own
 * PID namespace only: it shares the target's network namespace, not its processes).
 */
export type HelperCap = 'NET_RAW' | 'SETUID' | 'SETGID' | 'KILL';
/**
 * Which of the target's namespaces a helper joins: its network namespace (tc, iptables; NET_ADMIN)
 * or its PID namespace (signals to its processes; KILL only, no network of its own at all), or
 * which of its cgroups its stress processes join (`cgroup`: the stress image, see helperHostConfig),
 * or its PID namespace to reach its filesystem through /proc/1/root (`fill`: a disk fill).
 * `dns`: its network namespace, from the dns image (the helper's plus a resolver).
 */
export type HelperJoins = 'netns' | 'pidns' | 'cgroup' | 'fill' | 'dns';

/** Where a stress helper sees the engine's cgroup filesystem (stress.sh's CGROOT). */
export const HELPER_CGROUP_ROOT = '/gameday/cgroup';

/**
 * How a helper is started for what it joins. `cgroup` (a stress): no capability at all and no
 * network; a PID namespace of its own, so that stress-ng dies with the helper whatever cgroup it
 * is in; the host's cgroup namespace and the engine's cgroup filesystem writable at
 * HELPER_CGROUP_ROOT, so that its stress processes can move into the target's cgroup (a root-owned
 * cgroup.procs: uid 0 writes it without any capability). It can move its own processes into any
 * cgroup of the engine: that is the privilege this kind needs, and all it is given.
 */
function helperHostConfig(target: ResolvedTarget, joins: HelperJoins, extraCaps: HelperCap[]) {
  switch (joins) {
    case 'pidns':
      // it sees the target's processes and nothing else; it signals them and never needs a network
      return { NetworkMode: 'none', PidMode: `container:${target.containerId}`, CapDrop: ['ALL'], CapAdd: ['KILL'] };
    case 'fill':
      // Its PID namespace, for /proc/1/root: the kernel lets a process open another's root only
      // when its capabilities include the other's (ptrace's rule), so this helper keeps Docker's
      // default set, the one the target's init has, and adds none; no network, no setuid gains.
      return {
        NetworkMode: 'none',
        PidMode: `container:${target.containerId}`,
        SecurityOpt: ['no-new-privileges'],
      };
    case 'cgroup':
      return {
        NetworkMode: 'none',
        CgroupnsMode: 'host',
        Binds: [`/sys/fs/cgroup:${HELPER_CGROUP_ROOT}:rw`],
        CapDrop: ['ALL'],
      };
    default:
      return { NetworkMode: `container:${target.containerId}`, CapDrop: ['ALL'], CapAdd: ['NET_ADMIN', ...extraCaps] };
  }
}

/**
 * The helper container's lifecycle on one engine: started in the target's network namespace with
 * NET_ADMIN only, its stdin held by this process (the abort line), handed its steps, asked for its
 * record, removed (a stop lets it revert first).
 */
export class HelperClient {
  /** The clock read the readiness check made, per helper, until readClock uses it. */
  private readonly readyReadings = new Map<string, ClockReading>();
  /** helper id → its stdin, for the helpers this process started */
  private readonly stdin: HelperStdinStreams;

  constructor(
    private readonly docker: Docker,
    private readonly engine: string,
    private helperImage?: string,
    private readonly lingerSeconds = 600,
    private readonly contextDir?: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.stdin = new HelperStdinStreams(docker);
  }

  private async ensureImage(): Promise<string> {
    this.helperImage ??= await ensureHelperImage(this.docker, { contextDir: this.contextDir });
    return this.helperImage;
  }

  private stressImage?: string;
  private dnsImage?: string;

  /** The dns kind's image (the helper's plus dnsdist, conntrack and setpriv), built on first use. */
  async ensureDnsImage(): Promise<string> {
    this.dnsImage ??= await ensureDnsImage(this.docker, await this.ensureImage(), { contextDir: this.contextDir });
    return this.dnsImage;
  }

  private imageFor(joins: HelperJoins): Promise<string> {
    if (joins === 'cgroup') return this.ensureStressImage();
    if (joins === 'dns') return this.ensureDnsImage();
    return this.ensureImage();
  }

  /** The stress kind's image (the helper's plus stress-ng), built on first use. */
  async ensureStressImage(): Promise<string> {
    this.stressImage ??= await ensureStressImage(this.docker, await this.ensureImage(), {
      contextDir: this.contextDir,
    });
    return this.stressImage;
  }

  /**
   * Starts the helper in the target's netns (NET_ADMIN only, plus `extraCaps` a kind asks for) and
   * waits until it can exec. The readiness check is a clock read, kept for readClock: one exec
   * fewer while arming.
   */
  async create(
    target: ResolvedTarget,
    extraCaps: HelperCap[] = [],
    joins: HelperJoins = 'netns',
    /** `fill` only: run as the target init's UID:GID (numbers), to reach a target that is not root's */
    user?: string,
  ): Promise<string> {
    if (user !== undefined && (joins !== 'fill' || !/^\d{1,10}:\d{1,10}$/.test(user)))
      throw new Error(`a helper runs as another user only for a disk fill, as UID:GID: ${user}`);
    const image = await this.imageFor(joins);
    const name = `gameday-helper-${shortName(target.containerName)
      .replace(/[^a-zA-Z0-9_.-]/g, '-')
      .slice(0, 40)}-${randomBytes(3).toString('hex')}`;
    const container = await this.docker.createContainer({
      name,
      Image: image,
      Labels: {
        [HELPER_ROLE_LABEL]: 'helper',
        [HELPER_TARGET_LABEL]: target.containerId,
        'gameday.engine': this.engine,
      },
      Env: [`GAMEDAY_HELPER_LINGER_S=${this.lingerSeconds}`],
      ...(user ? { User: user } : {}),
      // the abort line's way in: held by the worker that armed it (see HelperStdinStreams)
      OpenStdin: true,
      StdinOnce: false,
      HostConfig: {
        ...helperHostConfig(target, joins, extraCaps),
        // Killed from outside (OOM, kill -9): come back, find the expired fault, remove it.
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 0 },
        Memory: 64 * 1024 * 1024,
        PidsLimit: 64,
      },
    });
    try {
      await container.start();
      await this.stdin.attach(container.id);
      for (let i = 0; i < 100; i++) {
        const reading = await this.readOnce(container.id).catch(() => undefined);
        if (reading) {
          this.readyReadings.set(container.id, reading);
          return container.id;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`helper ${name} did not become ready`);
    } catch (err) {
      this.stdin.close(container.id);
      await removeContainer(this.docker, container.id);
      throw err;
    }
  }

  remove(id: string): Promise<void> {
    this.readyReadings.delete(id);
    this.stdin.close(id);
    return removeContainer(this.docker, id);
  }

  /**
   * Writes `abort <nonce>` to the helper's stdin when this process holds it: no Docker API request
   * on the way. False when it does not (another process armed it, or the stream broke): the
   * caller signals the helper through the Docker API instead.
   */
  abortViaStdin(helperId: string, nonce: string, by: string): boolean {
    return this.stdin.write(helperId, abortLine(nonce, by));
  }

  /** Whether this process holds the helper's stdin. */
  holdsStdin(helperId: string): boolean {
    return this.stdin.has(helperId);
  }

  /**
   * Holds the stdin of a helper another process started (a run resumed after its worker died): its
   * abort line and, when its plan wants one, its heartbeat go through this process from now on.
   */
  async adopt(helperId: string, nonce: string, heartbeat: boolean): Promise<boolean> {
    if (!this.stdin.has(helperId) && !(await this.stdin.attach(helperId))) return false;
    return heartbeat ? this.stdin.beat(helperId, nonce) : true;
  }

  /**
   * The environment of a hand-over, and what to do once the helper took it: a plan that wants the
   * heartbeat gets it from this process's held stream (attached again if it broke); without one
   * the plan would never begin, so the hand-over is refused before it is made.
   */
  private async handOverEnv(helperId: string, abortNonce?: string, heartbeatMs?: number) {
    if (!heartbeatMs) return { env: abortNonceEnv(abortNonce), taken: () => undefined };
    const env = heartbeatEnv(abortNonce, heartbeatMs);
    if (!this.stdin.has(helperId) && !(await this.stdin.attach(helperId)))
      throw new Error(`no stdin stream to helper ${helperId.slice(0, 12)} for the plan's heartbeat`);
    return { env, taken: () => void this.stdin.beat(helperId, abortNonce!) };
  }

  /** Lets go of one helper's stdin (the helper and its fault stay, on their own clock). */
  closeStream(helperId: string): void {
    this.stdin.close(helperId);
  }

  /** Lets go of every helper's stdin. */
  closeStreams(): void {
    this.stdin.closeAll();
  }

  /** One read of the helper's clock between two reads of ours; undefined when it gave none. */
  private async readOnce(helperId: string): Promise<ClockReading | undefined> {
    const sentAt = this.clock.now().getTime();
    const r = await execInContainer(this.docker, helperId, ['gameday-helper', 'status']);
    const receivedAt = this.clock.now().getTime();
    const remoteAt = Number(parseKeyValues(r.stdout).now);
    return r.exitCode === 0 && Number.isFinite(remoteAt) && remoteAt > 0 ? { sentAt, remoteAt, receivedAt } : undefined;
  }

  /**
   * Reads of the helper's clock between two reads of ours, to measure the engine's clock offset;
   * the readiness check's read counts as the first one.
   */
  async readClock(helperId: string, samples = 3): Promise<ClockReading[]> {
    const readings: ClockReading[] = [];
    const ready = this.readyReadings.get(helperId);
    if (ready) {
      this.readyReadings.delete(helperId);
      readings.push(ready);
    }
    while (readings.length < samples) {
      const reading = await this.readOnce(helperId);
      if (reading) readings.push(reading);
      else if (readings.length === 0) throw new Error('the helper did not report its clock');
      else break;
    }
    return readings;
  }

  /** The helper's own record, or "unknown" when the helper is gone or stopped. */
  async status(helperId: string): Promise<HelperTimeline> {
    try {
      const r = await execInContainer(this.docker, helperId, ['gameday-helper', 'status']);
      return parseHelperStatus(r.stdout);
    } catch (err) {
      if (isNotFound(err) || /is not running/.test(String((err as Error).message)))
        return { state: 'unknown', error: 'helper container is gone or stopped' };
      throw err;
    }
  }

  /**
   * Hands the helper its steps with the instants to apply, revert and (last resort) expire; with
   * `heartbeatMs` it begins them only if this process's heartbeat came within that long.
   */
  async schedule(
    helperId: string,
    applyAt: number,
    revertAt: number,
    expireAt: number,
    apply: string[][],
    undo: (string[] | null)[],
    abortNonce?: string,
    heartbeatMs?: number,
  ) {
    const hand = await this.handOverEnv(helperId, abortNonce, heartbeatMs);
    const r = await execInContainer(
      this.docker,
      helperId,
      [
        'gameday-helper',
        'schedule',
        String(applyAt),
        String(revertAt),
        String(expireAt),
        ...encodeHelperSteps(apply, undo),
      ],
      { env: hand.env },
    );
    if (r.exitCode === 0) hand.taken();
    return r;
  }

  /**
   * Makes the helper the watchdog of steps the worker applies itself (exec, nsenter): it undoes
   * them at expireAt, when stopped, or after a restart, unless told to revert first.
   */
  watch(helperId: string, expireAt: number, apply: string[][], undo: (string[] | null)[], abortNonce?: string) {
    return execInContainer(
      this.docker,
      helperId,
      ['gameday-helper', 'watch', String(expireAt), ...encodeHelperSteps(apply, undo)],
      { env: abortNonceEnv(abortNonce) },
    );
  }

  /**
   * Hands a sidecar helper a plan of a kind that runs its own fault (`killplan`, `stressplan`,
   * `fillplan`): from applyAt until revertAt (0: until expireAt), with the kind's words after the
   * instants. The words are numbers and checked names only; the helper checks each one again.
   */
  async handPlan(
    helperId: string,
    command: string,
    at: { applyAt: number; revertAt: number; expireAt: number; heartbeatMs?: number },
    words: string[],
    abortNonce?: string,
  ) {
    const hand = await this.handOverEnv(helperId, abortNonce, at.heartbeatMs);
    const r = await execInContainer(
      this.docker,
      helperId,
      ['gameday-helper', command, String(at.applyAt), String(at.revertAt), String(at.expireAt), ...words],
      { env: hand.env },
    );
    if (r.exitCode === 0) hand.taken();
    return r;
  }

  /** Applies now; the helper removes the fault by itself at expireAt if nobody else did. */
  applyNow(helperId: string, expireAt: number, apply: string[][], undo: (string[] | null)[], abortNonce?: string) {
    return execInContainer(
      this.docker,
      helperId,
      ['gameday-helper', 'apply', String(expireAt), ...encodeHelperSteps(apply, undo)],
      { env: abortNonceEnv(abortNonce) },
    );
  }
}

import type Docker from 'dockerode';
import {
  FaultStepError,
  TargetGoneError,
  type AbortPath,
  type Clock,
  type CompileNetworkFaultOptions,
  type FaultLease,
  type ResolvedTarget,
} from '@gameday/core';
import { inspectOrNull } from './docker-exec';
import {
  HELPER_ROLE_LABEL,
  HELPER_TARGET_LABEL,
  type HelperCap,
  type HelperClient,
  type HelperJoins,
} from './helper-client';
import { netnsChange, netnsNow, pinArmedNetns, type ArmedNetns, type PinnedNetns } from './netns-identity';
import { HelperRunner, NsenterRunner, TargetExecRunner, type StepRunner } from './step-runner';
import { WATCHDOG_ROLE, WatchdogClient, type WatchdogOptions } from './watchdog-client';

export interface FaultEngineEvent {
  type: 'apply' | 'revert' | 'verify' | 'probe';
  result: 'ok' | 'error';
  reason?: string;
  durationMs: number;
  target?: string;
  /** reverts: how an abort reached the helper (stdin line or signal), when one was told */
  path?: AbortPath;
}

/**
 * What every fault kind shares on one Docker Engine: the dockerode client, the engine's identity,
 * the helper containers, and the ways into a target's network namespace as armed. Kinds act through
 * it; none of them keeps a Docker connection of its own.
 */
export class FaultEngine {
  /** the per-fault watchdogs of container faults */
  readonly watchdogs: WatchdogClient;

  constructor(
    readonly docker: Docker,
    /** the daemon ID recorded in every lease */
    readonly id: string,
    readonly helpers: HelperClient,
    /** instants (leases, records) and durations (metrics) */
    readonly clock: Clock,
    readonly options: {
      compile?: CompileNetworkFaultOptions;
      engineIsLocal?: boolean;
      onEvent?: (event: FaultEngineEvent) => void;
      watchdog?: WatchdogOptions;
    } = {},
  ) {
    this.watchdogs = new WatchdogClient(docker, id, clock, options.watchdog);
  }

  /** an arrow, so kinds may pass it on unbound */
  readonly now = (): Date => this.clock.now();

  /** milliseconds since `startedAt`, a reading of `clock.monotonicMs()` */
  since(startedAt: number): number {
    return Math.round(this.clock.monotonicMs() - startedAt);
  }

  emit(event: FaultEngineEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // metrics must never break fault handling
    }
  }

  /**
   * Starts the helper in the target's netns (NET_ADMIN, and what a kind adds), or in its PID namespace
   * (`joins: 'pidns'`, KILL only), and waits until it can exec. It joins
   * whatever netns the target has when it starts: the target's sandbox, unchanged after that, shows
   * it was the one resolved (TargetGoneError otherwise, and the helper is removed again).
   */
  async createHelper(
    target: ResolvedTarget,
    extraCaps: HelperCap[] = [],
    joins?: HelperJoins,
    user?: string,
  ): Promise<string> {
    const helperId = await this.helpers.create(target, extraCaps, joins, user);
    try {
      await this.assertArmedNetns(target);
    } catch (err) {
      await this.helpers.remove(helperId);
      throw err;
    }
    return helperId;
  }

  /**
   * Arms a helper that only watches: it undoes the steps at `expireAt` (or when stopped, or after a
   * restart) with nobody else involved; `abortNonce` lets an abort line on its stdin make it undo
   * them at once. Returns its container ID.
   */
  async armWatchdog(
    target: ResolvedTarget,
    apply: string[][],
    undo: (string[] | null)[],
    expireAt: number,
    abortNonce?: string,
  ): Promise<string> {
    const helperId = await this.createHelper(target);
    try {
      const r = await this.helpers.watch(helperId, expireAt, apply, undo, abortNonce);
      if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'watch'], r.exitCode, r.stderr, false);
      return helperId;
    } catch (err) {
      await this.helpers.remove(helperId);
      throw err;
    }
  }

  /** TargetGoneError when the target is no longer in the netns armed (it restarted since). */
  async assertArmedNetns(armed: ArmedNetns, inspected?: Docker.ContainerInspectInfo | null): Promise<void> {
    const change = netnsChange(armed, await netnsNow(this.docker, armed.containerId, inspected));
    if (change) throw new TargetGoneError(armed.containerName, change);
  }

  /**
   * Runs `use` in the target's netns as armed (TargetGoneError when the target restarted since):
   * exec through the target itself, nsenter through the namespace held open for the whole call, so
   * that every step enters the namespace checked even if the PID it was found by is reused meanwhile.
   */
  async inArmedNetns<T>(
    strategy: FaultLease['strategy'],
    armed: ArmedNetns,
    use: (runner: StepRunner, pinned?: PinnedNetns) => Promise<T>,
    inspected?: Docker.ContainerInspectInfo | null,
  ): Promise<T> {
    if (strategy === 'exec') {
      await this.assertArmedNetns(armed, inspected);
      return use(new TargetExecRunner(this.docker, armed.containerId));
    }
    if (strategy !== 'nsenter') throw new Error(`no tc runner in the target for strategy ${strategy}`);
    const local = this.options.engineIsLocal ?? Boolean((this.docker.modem as { socketPath?: unknown }).socketPath);
    if (!local)
      throw new Error(
        `the nsenter strategy needs the worker on the Docker host (engine ${this.id} is remote): use sidecar`,
      );
    const pinned = await pinArmedNetns(this.docker, armed, inspected);
    try {
      return await use(new NsenterRunner(pinned), pinned);
    } finally {
      await pinned.close();
    }
  }

  /**
   * The helper a lease names (or a container fault's watchdog), if GameDay started it for that very
   * target; null otherwise. A row changed in Postgres may name any container, and a helper is
   * signalled, exec'd into and removed.
   */
  async helperOf(
    lease: Pick<FaultLease, 'helperContainerId' | 'containerId'>,
  ): Promise<Docker.ContainerInspectInfo | null> {
    if (!lease.helperContainerId) return null;
    const info = await inspectOrNull(this.docker, lease.helperContainerId);
    const labels = info?.Config?.Labels ?? {};
    const role = labels[HELPER_ROLE_LABEL];
    return (role === 'helper' || role === WATCHDOG_ROLE) && labels[HELPER_TARGET_LABEL] === lease.containerId
      ? info
      : null;
  }

  async helperRunner(lease: FaultLease): Promise<StepRunner> {
    const helper = await this.helperOf(lease);
    // a watchdog runs no steps: only a helper does
    if (!helper?.State?.Running || helper.Config?.Labels?.[HELPER_ROLE_LABEL] !== 'helper')
      throw new Error(`helper of ${lease.containerName} is not running`);
    // A sidecar stays in the netns it joined at arming: after a restart of the target it reads a
    // namespace nothing uses any more, where our rules still read back as in place.
    if (lease.strategy === 'sidecar') await this.assertArmedNetns(lease);
    return new HelperRunner(this.docker, helper.Id);
  }
}

/** The target a lease was armed on, as far as the ledger row tells. */
export function targetOfLease(lease: FaultLease): ResolvedTarget {
  return {
    engine: lease.engine,
    containerId: lease.containerId,
    containerName: lease.containerName,
    netnsId: lease.netnsId ?? '',
    labels: {},
  };
}

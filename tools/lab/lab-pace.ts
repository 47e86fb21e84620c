// How fast the lab's guest is right now, measured, and the budgets a lab test derives from it.
// The same lab ran a container start in 1.6 s on one host and 10 s on another of the same kind, and
// three lanes on two CPUs slowed it further: fixed reserves (15 s of arming, a schedule handed over
// 8 s ahead, a 6 s lease) held on the quick hosts and failed on the slow ones. A file measures the
// guest when it starts and sizes what it waits for from that reading.
import type Docker from 'dockerode';
import { execInContainer } from '@gameday/faults';
import { LAB_TARGET_IMAGE } from './lab-images';

export interface LabPace {
  /** a container created and started in the guest */
  startMs: number;
  /** one `docker exec` round trip into it */
  execMs: number;
}

/** The quick host's reading (ENVIRONMENT.md), where the fixed budgets below were measured. */
export const QUICK_PACE: Readonly<LabPace> = Object.freeze({ startMs: 1_600, execMs: 300 });

/** Times a container start and an exec round trip in the guest (the container is removed). */
export async function measurePace(docker: Docker, image = LAB_TARGET_IMAGE): Promise<LabPace> {
  const t0 = performance.now();
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: ['/bin/busybox'],
    Cmd: ['sleep', '120'],
    Labels: { 'gameday.lab': 'pace' },
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
  });
  try {
    await c.start();
    const startMs = performance.now() - t0;
    const execs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const e0 = performance.now();
      await execInContainer(docker, c.id, ['/bin/busybox', 'true']);
      execs.push(performance.now() - e0);
    }
    return { startMs: Math.round(startMs), execMs: Math.round(Math.max(...execs)) };
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * Seconds of arming to reserve per helper: an arming is a helper start and about three execs
 * (readiness with a clock read, the kernel probe, a second clock read), doubled for the spread of a
 * guest shared with other lanes; never under the 15 s the quick hosts needed. Learned armings
 * (per helper) raise it: 1.5× the slowest seen, as the product's own lead does.
 */
export function armingReserveS(pace: LabPace, learnedMs: readonly number[] = []): number {
  const override = Number(process.env.GAMEDAY_LAB_ARMING_S);
  if (Number.isFinite(override) && override > 0) return override;
  const estimated = 2 * (pace.startMs + 3 * pace.execMs);
  const learned = learnedMs.length ? 1.5 * Math.max(...learnedMs) : 0;
  return Math.min(120, Math.max(15, Math.ceil(Math.max(estimated, learned) / 1_000)));
}

/** How far ahead of T0 a test hands a schedule to an armed helper: one exec, with room to spare. */
export function scheduleLeadMs(pace: LabPace): number {
  return Math.max(8_000, 4 * pace.execMs);
}

/** `quickMs` (a budget that held on the quick host) scaled to this guest's exec round trip, never less. */
export function pacedMs(pace: LabPace, quickMs: number): number {
  return Math.round(quickMs * Math.max(1, pace.execMs / QUICK_PACE.execMs));
}

/**
 * How long after T1 the reaper may take to revert a fault whose helper is gone: its sweep, a fresh
 * helper container started in the target's netns and about three execs in it (revert, read back),
 * 1.5× for the spread of a guest shared with another lane; never under the 15 s the quick hosts
 * needed.
 */
export function reaperDeadlineMs(pace: LabPace): number {
  return Math.max(15_000, Math.ceil(1_000 + 1.5 * (pace.startMs + 3 * pace.execMs)));
}

export function describePace(pace: LabPace): string {
  return `guest pace: container start ${pace.startMs} ms, exec ${pace.execMs} ms (quick host ${QUICK_PACE.startMs}/${QUICK_PACE.execMs} ms); arming reserve ${armingReserveS(pace)} s a helper`;
}

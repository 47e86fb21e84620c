// The faults the rollback trials inject, one per kind, and how the host tells from outside that
// one is in place: each trial series runs every kind through the same kills and restarts, so a
// kind is held to the same rollback guarantees as the first one was.

/** One HTTP request on a fresh connection, as a new client pays the fault. */
export interface LatencySample {
  startedAt: number;
  ms: number;
  error?: string;
}

/** How long the trials' watcher waits for an answer (a paused target answers nothing meanwhile). */
export const REQUEST_TIMEOUT_MS = 3_000;

/** Tells the requests a fault shaped from those that went through as without it. */
export interface SampleClassifier {
  /** the fault shaped this request (slowed, refused) */
  shaped(s: LatencySample): boolean;
  /** the request went through as it does without the fault */
  clean(s: LatencySample): boolean;
  /**
   * Clean requests for up to this long between shaped ones do not end the fault: a kind that acts
   * in rounds (a killed server answers again between kills) is one fault, not many. 0: any clean
   * request ends it.
   */
  gapMs: number;
  /**
   * When a clean request shows the fault gone: its start where it went through unshaped (netem,
   * a blackhole), its answer where a request sent during the fault waits for its end (a pause).
   */
  goneAt(s: LatencySample): number;
}

/** Runs an argv in the target's network namespace (as the trial's observer) and returns stdout. */
export type NetnsReader = (argv: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

export interface TrialFault extends SampleClassifier {
  /** names the fault in figures and run names */
  label: string;
  /** the experiment's fault on the target container (the target serves HTTP on port 80) */
  spec(container: string): Record<string, unknown>;
  /** what of this fault is in the target's netns ("netem 8001:", a chain …); [] when nothing */
  residual(read: NetnsReader): Promise<string[]>;
  /** after the planned end, how long a request may still have been shaped (in flight at T1) */
  tailMs: number;
}

/** netem `delay D` on eth0: no new connection completes faster than 2·D (SYN-ACK and response delayed). */
export function netemDelay(delayMs = 200): TrialFault {
  const slowMs = 2 * delayMs - 10;
  return {
    label: `netem delay ${delayMs}ms`,
    spec: (container) => ({ kind: 'network', target: { container }, netem: { delay: `${delayMs}ms` } }),
    shaped: (s) => !s.error && s.ms >= slowMs,
    clean: (s) => !s.error && s.ms < slowMs,
    gapMs: 0,
    goneAt: (s) => s.startedAt,
    async residual(read) {
      const r = await read(['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']);
      if (r.exitCode !== 0) throw new Error(`tc qdisc show failed: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { kind: string; handle: string }[])
        .filter((q) => q.kind === 'netem')
        .map((q) => `${q.kind} ${q.handle}`);
    },
    tailMs: 2 * delayMs,
  };
}

/** blackhole `reject` of TCP to the target's port 80: a new connection is refused at once. */
export function blackholeReject(): TrialFault {
  return {
    label: 'blackhole reject port 80',
    spec: (container) => ({
      kind: 'blackhole',
      target: { container },
      direction: 'ingress',
      localPorts: [80],
      protocol: 'tcp',
      action: 'reject',
    }),
    shaped: (s) => s.error?.includes('ECONNREFUSED') === true,
    clean: (s) => !s.error,
    gapMs: 0,
    goneAt: (s) => s.startedAt,
    async residual(read) {
      // the lab kernel has no IPv4 nf_tables: the legacy tables are where a blackhole lives there,
      // and iptables-nft answers only where the kernel has nf_tables
      const left: string[] = [];
      for (const tool of ['iptables-legacy', 'iptables-nft']) {
        const r = await read([tool, '-w', '-S']);
        if (r.exitCode !== 0) {
          if (tool === 'iptables-legacy') throw new Error(`${tool} -S failed: ${r.stderr}`);
          continue;
        }
        left.push(
          ...r.stdout
            .split('\n')
            .filter((l) => l.includes('GAMEDAY-'))
            .map((l) => `${tool}: ${l}`),
        );
      }
      return left;
    },
    tailMs: 200,
  };
}

/** The lab target's server restarts this long after it died (LAB_TARGET_SERVER in rollback-lab.ts). */
const RESPAWN_MS = 1_000;

/**
 * process-kill of the target's `httpd` (not its PID 1: a loop restarts it RESPAWN_MS after it
 * died) every `everyS` seconds from T0 to T1: a new connection is refused (or reset, when a kill
 * lands mid-request) until the server is back, then answered until the next round.
 */
export function processKill(everyS = 2): TrialFault {
  return {
    label: `process-kill httpd every ${everyS}s`,
    spec: (container) => ({
      kind: 'process-kill',
      target: { container },
      process: 'httpd',
      signal: 'KILL',
      every: `${everyS}s`,
    }),
    shaped: (s) => /ECONNREFUSED|ECONNRESET|socket hang up/.test(s.error ?? ''),
    clean: (s) => !s.error,
    // between two rounds the respawned server answers for about everyS - RESPAWN_MS; a second more
    // for the watcher's period (250 ms) and a busy guest's slow respawn
    gapMs: everyS * 1_000 - RESPAWN_MS + 1_000,
    goneAt: (s) => s.startedAt,
    async residual(read) {
      // The observer shares the target's PID namespace as well as its netns: the helper's kill
      // loop (gameday-kill) runs there, and one still running after T1 would go on killing.
      const r = await read(['ps', '-o', 'pid,comm']);
      if (r.exitCode !== 0) throw new Error(`ps failed: ${r.stderr}`);
      return r.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter(([, comm]) => comm === 'gameday-kill')
        .map(([pid, comm]) => `${comm} (pid ${pid} in the target's PID namespace)`);
    },
    // a refusal is at once: nothing is in flight long at T1
    tailMs: 200,
  };
}

/**
 * container pause of the target (armed with its watchdog, which unpauses it at T1 if nobody did):
 * a new connection completes in the kernel but nothing answers until the unpause, so a request
 * times out or is answered late.
 */
export function containerPause(slowMs = 1_000): TrialFault {
  return {
    label: 'container pause',
    spec: (container) => ({ kind: 'container', target: { container }, action: 'pause' }),
    shaped: (s) => s.error === 'timeout' || (!s.error && s.ms >= slowMs),
    clean: (s) => !s.error && s.ms < slowMs,
    gapMs: 0,
    // a request sent before the unpause is answered after it: its start says nothing of the end
    goneAt: (s) => Math.round(s.startedAt + s.ms),
    async residual() {
      // Nothing of a pause lives in the netns or the PID namespace: a target left paused answers
      // nothing (the "seen gone" check), and a watchdog left behind is a container (the release
      // check lists every container left in the engine).
      return [];
    },
    // a request in flight at the unpause was sent up to the watcher's timeout before
    tailMs: REQUEST_TIMEOUT_MS,
  };
}

/**
 * The kinds the trials cycle through: GAMEDAY_LAB_TRIAL_FAULTS=netem,blackhole (the default), or
 * any list of netem, blackhole, process-kill, pause.
 */
export function trialFaults(names = process.env.GAMEDAY_LAB_TRIAL_FAULTS ?? 'netem,blackhole'): TrialFault[] {
  const all: Record<string, () => TrialFault> = {
    netem: () => netemDelay(),
    blackhole: () => blackholeReject(),
    'process-kill': () => processKill(),
    pause: () => containerPause(),
  };
  return names.split(',').map((n) => {
    const make = all[n.trim()];
    if (!make) throw new Error(`GAMEDAY_LAB_TRIAL_FAULTS: unknown fault ${n} (known: ${Object.keys(all).join(', ')})`);
    return make();
  });
}

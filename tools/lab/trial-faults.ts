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

/** Runs an argv somewhere in or beside the target and returns what it printed. */
export type NetnsReader = (argv: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/** Where a trial's leftovers are read, for one target. */
export interface ResidualReaders {
  /** the target's observer: its network and PID namespaces, iproute2 and iptables, no capability but NET_ADMIN/NET_RAW */
  netns: NetnsReader;
  /** inside the target itself (its filesystem, its cgroup): only its static busybox */
  target: NetnsReader;
}

/** The other lab target, for the kinds whose fault is between the target and someone else. */
export interface TrialPeer {
  name: string;
  /** its IPv4 address on the lab's network */
  address: string;
}

export interface TrialFault extends SampleClassifier {
  /** names the fault in figures and run names */
  label: string;
  /** the experiment's fault on the target container (the target serves HTTP on port 80) */
  spec(container: string, peer?: TrialPeer): Record<string, unknown>;
  /**
   * What the host's watcher asks the target (default `/index.html`): one of the target's CGI
   * probes (LAB_TARGET_PROBES) where the fault shows only inside the target, answered 503 then.
   */
  probePath?(peer?: TrialPeer): string;
  /** the leases one run of it holds (one per network namespace it touches); 1 when not said */
  leases?: number;
  /**
   * What arming one run of it costs in plain helper armings (a helper started, probed, its clock
   * read): the trial's arming reserve scales with it, and an arming seen is learned divided by it.
   * `leases` when not said.
   */
  armingCost?: number;
  /** what of this fault is left with one target ("netem 8001:", a chain, a file …); [] when nothing */
  residual(read: ResidualReaders): Promise<string[]>;
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
    async residual({ netns: read }) {
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
    residual: ({ netns }) => iptablesLeft(netns, 'filter'),
    tailMs: 200,
  };
}

/**
 * The GAMEDAY- rules left in one table of the target's netns. The lab kernel has no IPv4
 * nf_tables: the legacy tables are where our rules live there, and iptables-nft answers only where
 * the kernel has nf_tables.
 */
async function iptablesLeft(read: NetnsReader, table: 'filter' | 'nat'): Promise<string[]> {
  const left: string[] = [];
  for (const tool of ['iptables-legacy', 'iptables-nft']) {
    const r = await read([tool, '-w', '-t', table, '-S']);
    if (r.exitCode !== 0) {
      if (tool === 'iptables-legacy') throw new Error(`${tool} -t ${table} -S failed: ${r.stderr}`);
      continue;
    }
    left.push(
      ...r.stdout
        .split('\n')
        .filter((l) => l.includes('GAMEDAY-'))
        .map((l) => `${tool} ${table}: ${l}`),
    );
  }
  return left;
}

/** Processes named `comm` in the target's PID namespace, as its observer lists them. */
async function processesLeft(read: NetnsReader, comm: string): Promise<string[]> {
  const r = await read(['ps', '-o', 'pid,comm']);
  if (r.exitCode !== 0) throw new Error(`ps failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, c]) => c === comm)
    .map(([pid, c]) => `${c} (pid ${pid} in the target's PID namespace)`);
}

/** A probe that answers 503 while the fault shows inside the target, 200 otherwise. */
const probeSaysFaulted = {
  shaped: (s: LatencySample) => s.error === 'HTTP 503',
  clean: (s: LatencySample) => !s.error,
  gapMs: 0,
  goneAt: (s: LatencySample) => s.startedAt,
};

function needPeer(kind: string, peer: TrialPeer | undefined): TrialPeer {
  if (!peer) throw new Error(`the ${kind} trial needs a second lab target (startRollbackLab({ targets: 2 }))`);
  return peer;
}

/**
 * dns `nxdomain` for the other target's name: the target's resolver (Docker's embedded DNS, through
 * the helper's redirect) answers NXDOMAIN for it, asked by the target's `resolve` probe.
 */
export function dnsNxdomain(): TrialFault {
  return {
    label: 'dns nxdomain for the peer',
    spec: (container, peer) => ({
      kind: 'dns',
      target: { container },
      names: [needPeer('dns', peer).name],
      action: 'nxdomain',
    }),
    probePath: (peer) => `/cgi-bin/resolve?${needPeer('dns', peer).name}`,
    // its helper also starts and checks a resolver (dnsdist): ~35-40 s of arming in a guest that
    // arms a blackhole in ~20 s, so a reserve sized for one plain arming overran every time
    armingCost: 2,
    ...probeSaysFaulted,
    async residual({ netns }) {
      // our nat chain and jumps, and a resolver of ours still listening on the netns' loopback
      // (dnsdist binds 127.0.0.1:<port>; Docker's embedded DNS is on 127.0.0.11)
      const r = await netns(['ss', '-H', '-ltun']);
      if (r.exitCode !== 0) throw new Error(`ss -ltun failed: ${r.stderr}`);
      const listeners = r.stdout
        .split('\n')
        .filter((l) => /\s127\.0\.0\.1:\d+\s/.test(l))
        .map((l) => `listener: ${l.trim().replace(/\s+/g, ' ')}`);
      return [...(await iptablesLeft(netns, 'nat')), ...listeners];
    },
    // nslookup answers at once either way
    tailMs: 200,
  };
}

/**
 * partition `reject` (TCP) between the target and the other target: both sides' netns get rules
 * (two leases), and the target's `reach` probe finds the peer's HTTP server refused.
 */
export function partitionReject(): TrialFault {
  return {
    label: 'partition reject with the peer',
    spec: (container, peer) => ({
      kind: 'partition',
      between: [{ container }, { container: needPeer('partition', peer).name }],
      action: 'reject',
      protocol: 'tcp',
    }),
    probePath: (peer) => `/cgi-bin/reach?${needPeer('partition', peer).address}`,
    leases: 2,
    ...probeSaysFaulted,
    residual: ({ netns }) => iptablesLeft(netns, 'filter'),
    tailMs: 200,
  };
}

/**
 * disk-fill of the target's /data (a 64 MB tmpfs of its own) to 50 %: the target's `disk` probe
 * finds more than 16 MB used there.
 */
export function diskFill(): TrialFault {
  return {
    label: 'disk-fill /data 50%',
    spec: (container) => ({ kind: 'disk-fill', target: { container }, path: '/data', size: { percent: 50 } }),
    probePath: () => '/cgi-bin/disk',
    ...probeSaysFaulted,
    async residual({ netns, target }) {
      const r = await target(['/bin/busybox', 'ls', '-a', '/data']);
      if (r.exitCode !== 0) throw new Error(`ls /data in the target failed: ${r.stderr}`);
      const files = r.stdout
        .split('\n')
        .filter((f) => f.startsWith('.gameday-fill'))
        .map((f) => `file /data/${f}`);
      return [...files, ...(await processesLeft(netns, 'gameday-fill'))];
    },
    tailMs: 200,
  };
}

/**
 * stress of one CPU worker at 80 % in the target's cgroup: the target's `cpu` probe finds the
 * cgroup using over 40 % of a CPU (its own server uses a few %).
 */
export function cpuStress(): TrialFault {
  return {
    label: 'stress cpu 1x80%',
    spec: (container) => ({ kind: 'stress', target: { container }, cpu: { workers: 1, load: 80 } }),
    probePath: () => '/cgi-bin/cpu',
    ...probeSaysFaulted,
    // the probe measures the 300 ms before its answer: the first clean one shows the load gone by
    // then (its start may be before T1)
    goneAt: (s) => Math.round(s.startedAt + s.ms),
    async residual({ target }) {
      // a process in the target's cgroup from another PID namespace (the stress helper's) reads as
      // PID 0 there: any is a stress-ng left behind
      const r = await target(['/bin/busybox', 'cat', '/sys/fs/cgroup/cgroup.procs']);
      if (r.exitCode !== 0) throw new Error(`reading the target's cgroup.procs failed: ${r.stderr}`);
      const foreign = r.stdout.split('\n').filter((l) => l.trim() === '0').length;
      return foreign ? [`${foreign} processes of another PID namespace in the target's cgroup`] : [];
    },
    // the probe measures over 300 ms: a request started just before T1 still saw the load
    tailMs: 500,
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
    // The observer shares the target's PID namespace as well as its netns: the helper's kill
    // loop (gameday-kill) runs there, and one still running after T1 would go on killing.
    residual: ({ netns }) => processesLeft(netns, 'gameday-kill'),
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
 * container stop of the target (armed with its watchdog, which starts it again at T1 if nobody
 * did): nothing listens on its published port while it is stopped, so a new connection is refused
 * or reset until it is back and its server answers. Its own series only: the target's observer
 * shares the network namespace of the target's first start, and a restarted target has another.
 */
export function containerStop(): TrialFault {
  return {
    label: 'container stop',
    spec: (container) => ({ kind: 'container', target: { container }, action: 'stop' }),
    shaped: (s) => s.error !== undefined,
    clean: (s) => !s.error,
    gapMs: 0,
    // refused at once while stopped: the first answer after the start is the end
    goneAt: (s) => s.startedAt,
    async residual() {
      // as for a pause: a target left stopped answers nothing (the "seen gone" check), and a
      // watchdog left behind is a container (the release check)
      return [];
    },
    // a request sent while the target was starting may wait for its server
    tailMs: REQUEST_TIMEOUT_MS,
  };
}

/**
 * The kinds the trials cycle through: GAMEDAY_LAB_TRIAL_FAULTS=netem,blackhole (the default), or
 * any list of netem, blackhole, process-kill, pause, stop (a series of its own), dns, partition,
 * disk-fill, stress.
 */
export function trialFaults(names = process.env.GAMEDAY_LAB_TRIAL_FAULTS ?? 'netem,blackhole'): TrialFault[] {
  const all: Record<string, () => TrialFault> = {
    netem: () => netemDelay(),
    blackhole: () => blackholeReject(),
    'process-kill': () => processKill(),
    pause: () => containerPause(),
    stop: () => containerStop(),
    dns: () => dnsNxdomain(),
    partition: () => partitionReject(),
    'disk-fill': () => diskFill(),
    stress: () => cpuStress(),
  };
  return names.split(',').map((n) => {
    const make = all[n.trim()];
    if (!make) throw new Error(`GAMEDAY_LAB_TRIAL_FAULTS: unknown fault ${n} (known: ${Object.keys(all).join(', ')})`);
    return make();
  });
}

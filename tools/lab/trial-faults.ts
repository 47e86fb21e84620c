// The faults the rollback trials inject, one per kind, and how the host tells from outside that
// one is in place: each trial series runs every kind through the same kills and restarts, so a
// kind is held to the same rollback guarantees as the first one was.

/** One HTTP request on a fresh connection, as a new client pays the fault. */
export interface LatencySample {
  startedAt: number;
  ms: number;
  error?: string;
}

/** Tells the requests a fault shaped from those that went through as without it. */
export interface SampleClassifier {
  /** the fault shaped this request (slowed, refused) */
  shaped(s: LatencySample): boolean;
  /** the request went through as it does without the fault */
  clean(s: LatencySample): boolean;
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

/** The kinds the trials cycle through: GAMEDAY_LAB_TRIAL_FAULTS=netem,blackhole (the default) or one of them. */
export function trialFaults(names = process.env.GAMEDAY_LAB_TRIAL_FAULTS ?? 'netem,blackhole'): TrialFault[] {
  const all: Record<string, () => TrialFault> = { netem: () => netemDelay(), blackhole: () => blackholeReject() };
  return names.split(',').map((n) => {
    const make = all[n.trim()];
    if (!make) throw new Error(`GAMEDAY_LAB_TRIAL_FAULTS: unknown fault ${n} (known: ${Object.keys(all).join(', ')})`);
    return make();
  });
}

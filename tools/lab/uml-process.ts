// Low-level pieces shared by the user-mode-linux harnesses: locating the lab kernel, building its
// command line, and owning its processes so that none outlives the harness.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LAB_SCRIPTS_DIR = path.resolve(__dirname, 'guest');

export interface LabKernel {
  /**
   * The user-mode-linux kernel binary: GAMEDAY_LAB_UML, else the one scripts/lab-kernel.sh built
   * for a host the packaged kernel cannot run on, else Debian's /usr/bin/linux.uml.
   */
  uml: string;
  /** Kernel release of that binary; its modules live in /usr/lib/uml/modules/<release>. */
  release: string;
  modulesDir: string;
}

/** Where scripts/lab-kernel.sh installs the kernel it builds (the lab prefers it when present). */
export const BUILT_LAB_KERNEL = '/usr/local/lib/gameday-uml/linux.uml';

/**
 * Finds the lab kernel and its modules, or throws an error saying exactly what is missing and
 * how to install it. Lab tests call this first: a missing prerequisite fails the tier loudly.
 */
export function requireLabKernel(requiredModules: readonly string[] = []): LabKernel {
  const uml = process.env.GAMEDAY_LAB_UML ?? (existsSync(BUILT_LAB_KERNEL) ? BUILT_LAB_KERNEL : '/usr/bin/linux.uml');
  const fix = 'install it with `bash scripts/bootstrap.sh lab` (Debian packages user-mode-linux, kmod, busybox-static)';
  if (!existsSync(uml)) throw new Error(`lab prerequisite missing: user-mode-linux kernel ${uml} not found; ${fix}`);
  const root = '/usr/lib/uml/modules';
  // the binary names its release (`--version`): with a built kernel beside the packaged one, the
  // modules of the one that runs
  const release = execFileSync(uml, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  const modulesDir = path.join(root, release);
  const modulesDep = path.join(modulesDir, 'modules.dep');
  if (!existsSync(modulesDep)) throw new Error(`lab prerequisite missing: ${modulesDep}; ${fix}`);
  const dep = readFileSync(modulesDep, 'utf8');
  // a module may be built in (7.x has ipv6 built in): its name then prefixes the kernel's
  // built-in module info (modules.builtin.modinfo, "ipv6.parm=…"), and the guest finds it loaded
  const modinfo = path.join(modulesDir, 'modules.builtin.modinfo');
  const builtin = new Set(
    (existsSync(modinfo) ? readFileSync(modinfo, 'latin1') : '')
      .split('\0')
      .map((l) => l.split('.')[0].replace(/-/g, '_')),
  );
  const missing = requiredModules.filter(
    (m) =>
      !builtin.has(m.replace(/-/g, '_')) && !new RegExp(`/${m.replace(/[-_]/g, '[-_]')}\\.ko(\\.[a-z]+)?:`).test(dep),
  );
  if (missing.length)
    throw new Error(
      `lab prerequisite missing: the lab kernel ${release} has no module(s) ${missing.join(', ')} in ${modulesDir}`,
    );
  for (const tool of ['/sbin/modprobe', '/usr/bin/busybox']) {
    if (!existsSync(tool) && !existsSync(tool.replace('/usr/bin', '/bin')))
      throw new Error(`lab prerequisite missing: ${tool}; ${fix}`);
  }
  if (process.getuid?.() !== 0)
    throw new Error('lab prerequisite missing: the lab needs root (network namespaces, tap devices)');
  return { uml, release, modulesDir };
}

function cpusAllowed(pid: number): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * Host CPU the lab kernel is pinned to (GAMEDAY_LAB_CPU; "none" disables pinning). One vCPU is
 * all a guest uses; keeping it on one host CPU avoids its ptrace round trips bouncing between
 * CPUs (Docker in the guest runs 2.5-3x faster pinned). With several guests on the machine, the
 * CPU with the fewest guests already pinned to it is chosen (CPU 1 first, away from CPU 0).
 */
export function labCpu(): number | undefined {
  const v = process.env.GAMEDAY_LAB_CPU;
  if (v === 'none') return undefined;
  if (v !== undefined) return Number(v);
  const n = os.cpus().length;
  if (n < 2) return undefined;
  const load = new Map<string, number>();
  for (const pid of umlPids()) {
    const cpus = cpusAllowed(pid);
    if (cpus) load.set(cpus, (load.get(cpus) ?? 0) + 1);
  }
  const order = [1, ...Array.from({ length: n }, (_, i) => i).filter((i) => i !== 1)];
  return order.reduce(
    (best, cpu) => ((load.get(String(cpu)) ?? 0) < (load.get(String(best)) ?? 0) ? cpu : best),
    order[0],
  );
}

export interface UmlBootOptions {
  kernel: LabKernel;
  init: string;
  /** Host directory of this run; the guest sees it under the same path (hostfs). */
  dir: string;
  memMb: number;
  /** KEY=VALUE words for the guest's PID 1; values must not contain whitespace (empty is fine). */
  initEnv: Record<string, string>;
  extraArgs?: string[];
  /** Detach from the harness (the CLI leaves the guest running after it exits). */
  detached?: boolean;
  /** Host tap device the guest uses: removed with it if this process dies without cleaning up. */
  tap?: string;
}

/** Process groups of the guests this process booted (each guest leads its own group). */
const bootedGroups = new Set<number>();

const exitTasks = new Set<() => void>();
let exitHooksInstalled = false;

function runExitTasks(): void {
  // newest first: a guest goes before the tap it is attached to
  for (const task of [...exitTasks].reverse()) {
    try {
      task();
    } catch {
      // best effort: the process is going away
    }
  }
  exitTasks.clear();
}

/**
 * Registers a synchronous clean-up to run if this process exits (or is interrupted) before the
 * harness cleaned up normally: no guest and no tap device may outlive it. Returns an unregister
 * function for the normal path.
 */
export function onHarnessExit(task: () => void): () => void {
  if (!exitHooksInstalled) {
    exitHooksInstalled = true;
    process.on('exit', runExitTasks);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        runExitTasks();
        // with our listener gone, the signal's default action (or the runner's own handler) applies
        process.kill(process.pid, signal);
      });
    }
  }
  exitTasks.add(task);
  return () => exitTasks.delete(task);
}

/** Starts the lab kernel in its own process group with the console written to dir/console.log. */
export function bootUml(opts: UmlBootOptions): ChildProcess {
  // The kernel command line splits on whitespace; a value with spaces would become extra words.
  const bad = [opts.init, opts.dir, ...Object.values(opts.initEnv)].find((w) => /\s/.test(w));
  if (bad !== undefined) throw new Error(`lab kernel argument ${JSON.stringify(bad)} contains whitespace`);
  const args = [
    `mem=${opts.memMb}M`,
    'root=/dev/root',
    'rootfstype=hostfs',
    'hostfs=/',
    'rw',
    `init=${opts.init}`,
    `uml_dir=${path.join(opts.dir, 'uml')}`,
    ...(opts.extraArgs ?? []),
    ...Object.entries({ GD_LAB_DIR: opts.dir, ...opts.initEnv }).map(([k, v]) => `${k}=${v}`),
    'con=null',
    'con0=fd:0,fd:1',
  ];
  // GAMEDAY_LAB_CPUSET (scripts/cpu-split.sh): a cpuset whose CPUs nothing else uses; the guest
  // joins it before the kernel starts (its processes inherit it), and taskset is not needed
  const cpuset = process.env.GAMEDAY_LAB_CPUSET;
  const cpu = cpuset ? undefined : labCpu();
  const [file, argv]: [string, string[]] = cpuset
    ? ['sh', ['-c', 'echo $$ >"$1/tasks" && shift && exec "$@"', 'lab-cpuset', cpuset, opts.kernel.uml, ...args]]
    : cpu === undefined
      ? [opts.kernel.uml, args]
      : ['taskset', ['-c', String(cpu), opts.kernel.uml, ...args]];
  const consoleFd = openSync(path.join(opts.dir, 'console.log'), 'a');
  try {
    const child = spawn(file, argv, { stdio: ['ignore', consoleFd, consoleFd], detached: true });
    if (child.pid) bootedGroups.add(child.pid);
    if (opts.detached) {
      child.unref();
    } else {
      const unregister = onHarnessExit(() => killUmlGroup(child));
      const watchdog = armWatchdog(child.pid!, opts.tap);
      child.on('exit', () => {
        unregister();
        watchdog.kill('SIGKILL');
      });
    }
    return child;
  } finally {
    closeSync(consoleFd);
  }
}

/**
 * Exit hooks cannot cover every death of the harness (SIGKILL; and under jest, `process` in a test
 * is a copy whose 'exit' listeners never fire), so each guest also gets a watchdog process in its
 * own session that reaps it once this process is gone.
 */
function armWatchdog(guestPgid: number, tap?: string): ChildProcess {
  const argv = [
    path.join(LAB_SCRIPTS_DIR, 'uml-watchdog.sh'),
    String(process.pid),
    String(guestPgid),
    ...(tap ? [tap] : []),
  ];
  const watchdog = spawn('/bin/sh', argv, { stdio: 'ignore', detached: true });
  watchdog.unref();
  return watchdog;
}

/** SIGKILLs the guest's whole process group (the kernel and its userspace helper processes). */
export function killUmlGroup(child: ChildProcess | number): void {
  const pid = typeof child === 'number' ? child : child.pid;
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

interface UmlProcess {
  pid: number;
  pgid: number;
}

/**
 * The running linux.uml processes on the host (a guest is several processes, one process group).
 * Zombies are left out: they hold nothing, and reaping them is up to whoever inherited them.
 */
export function umlProcesses(): UmlProcess[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-C', 'linux.uml', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when nothing matches
  }
  const list: UmlProcess[] = [];
  for (const line of out.split('\n')) {
    const [pid, pgid, stat] = line.trim().split(/\s+/);
    if (pid && pgid && stat && !stat.startsWith('Z')) list.push({ pid: Number(pid), pgid: Number(pgid) });
  }
  return list;
}

export function umlPids(): Set<number> {
  return new Set(umlProcesses().map((p) => p.pid));
}

/**
 * Processes of guests booted by this process that are still running (and, when given, were not
 * running in `before`): what a test leaked. Scoped to our own guests (by process group) because
 * other suites on the machine start and stop guests of their own at the same time.
 */
export function leakedUmlProcesses(before?: ReadonlySet<number>): number[] {
  const shared = sharedLabGroups();
  return umlProcesses()
    .filter((p) => bootedGroups.has(p.pgid) && !shared.has(p.pgid) && !before?.has(p.pid))
    .map((p) => p.pid);
}

/** Where the shared lab of test process `owner` is recorded (tools/lab/shared-lab.ts). */
export const SHARED_LAB_PREFIX = 'gameday-shared-lab-';
export function sharedLabStateFile(owner: number): string {
  return path.join(os.tmpdir(), `${SHARED_LAB_PREFIX}${owner}.json`);
}

/** Process groups of the shared labs: they outlive the file that booted them, by design. */
function sharedLabGroups(): Set<number> {
  const groups = new Set<number>();
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith(SHARED_LAB_PREFIX)) continue;
    try {
      groups.add(
        (JSON.parse(readFileSync(path.join(os.tmpdir(), name), 'utf8')) as { state: { pid: number } }).state.pid,
      );
    } catch {
      // being written or removed
    }
  }
  return groups;
}

// startUmlDocker(): a Docker Engine running inside the user-mode-linux lab kernel (which has
// sch_netem), driven from the host over a private tap link. Faults applied to its containers
// are real netem, measurable from the host.
//
//   host  TAP 10.199.0.<4n+1>/30  <── vec0 (gro=1) ──>  guest 10.199.0.<4n+2>:2375 (dockerd, plain HTTP)
import { processAlive } from './processes';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { copyImages, type ImageLoad } from './lab-images';
import { bootUml, killUmlGroup, LAB_SCRIPTS_DIR, onHarnessExit, requireLabKernel } from './uml-process';

const run = promisify(execFile);

/** Kernel modules the nested engine needs (bridge networking, NAT, overlayfs) plus the fault engine's. */
export const DOCKER_LAB_MODULES = [
  'overlay',
  'veth',
  'bridge',
  'br_netfilter',
  'ip_tables',
  'iptable_filter',
  'iptable_nat',
  'iptable_mangle',
  'iptable_raw',
  'xt_addrtype',
  'xt_conntrack',
  'xt_MASQUERADE',
  'xt_nat',
  'xt_tcpudp',
  'xt_mark',
  'nf_nat',
  'nf_conntrack',
  'ipv6',
  'sch_netem',
  'sch_prio',
  'cls_u32',
  'sch_ingress',
  'act_mirred',
  'ifb',
  // the blackhole kind: iptables-legacy rules with a comment, multiport, REJECT (tcp-reset, icmp)
  'xt_comment',
  'xt_multiport',
  'nf_reject_ipv4',
  'ipt_REJECT',
  // the dns kind: its resolver's own queries pass by owner, the rest are redirected to it, and
  // conntrack -D drops the port-53 flows at T0 and T1
  'xt_owner',
  'xt_REDIRECT',
  'nf_conntrack_netlink',
] as const;

export const DOCKER_LAB_PORT = 2375;
/** The guest engine's unix socket (guest/uml-init-docker.sh), mounted into container-fault watchdogs. */
export const GUEST_ENGINE_SOCKET = '/run/docker-uml.sock';

export interface UmlDockerOptions {
  /** Images of the host engine to load into the guest engine before returning. */
  images?: string[];
  /** Engine to copy `images` from (default: the host's, from DOCKER_HOST or the local socket). */
  hostDocker?: Docker;
  memMb?: number;
  /** Which /30 of 10.199.0.0/24 the link uses (0 → host .1, guest .2). Default: the first unused one. */
  subnet?: number;
  /** Host tap device name (default gdlab<subnet>). */
  tap?: string;
  /** Run directory (console, engine log, stop file). Default: a fresh temp dir, removed by stop(). */
  dir?: string;
  /** Leave the guest running when this process exits (for the CLI). */
  detached?: boolean;
  /** For the Docker API to answer, after boot (default 90 s). */
  readyTimeoutMs?: number;
}

export interface UmlDockerTimings {
  /** Launch → Docker API answering. */
  apiReadyMs: number;
  imageLoads: ImageLoad[];
}

export interface UmlDockerState {
  pid: number;
  tap: string;
  dir: string;
  host: string;
  hostAddress: string;
  port: number;
  ownsDir: boolean;
}

export interface UmlDocker {
  /** Client for the guest engine. */
  docker: Docker;
  /** The guest's address: API on `port`, published container ports reachable here. */
  host: string;
  port: number;
  /** The host end of the link. */
  hostAddress: string;
  tap: string;
  state: UmlDockerState;
  timings: UmlDockerTimings;
  /** the test process's shared lab (tools/lab/shared-lab.ts): stop() leaves it running */
  shared?: boolean;
  /** Powers the guest off (kills it after a timeout) and removes the tap. Idempotent. */
  stop(): Promise<void>;
  /**
   * Restarts the guest's dockerd (started with --live-restore: containers keep running) and
   * resolves once its API answers again, with the guest's instants (epoch ms) of the restart.
   */
  restartDockerd(timeoutMs?: number): Promise<DockerdRestart>;
}

export interface DockerdRestart {
  requestedAt: number;
  /** the guest began stopping dockerd */
  stoppingAt: number;
  /** the old dockerd had exited */
  stoppedAt: number;
  /** the API answered again */
  answeringAt: number;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

const SUBNET_LOCK = path.join(os.tmpdir(), 'gameday-lab-subnet.lock');

/** mkdir is atomic: the lock is the directory; one left by a dead process is taken after 30 s. */
async function lockSubnets(): Promise<() => void> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(SUBNET_LOCK);
      return () => rmSync(SUBNET_LOCK, { recursive: true, force: true });
    } catch {
      if (Date.now() - started > 30_000) rmSync(SUBNET_LOCK, { recursive: true, force: true });
      await new Promise((ok) => setTimeout(ok, 50));
    }
  }
}

async function usedLabSubnets(): Promise<Set<number>> {
  const { stdout } = await run('ip', ['-j', 'route', 'show']);
  const used = new Set<number>();
  for (const r of JSON.parse(stdout) as { dst?: string }[]) {
    const m = /^10\.199\.0\.(\d+)\/30$/.exec(r.dst ?? '');
    if (m) used.add(Number(m[1]) / 4);
  }
  return used;
}

async function createTap(tap: string, hostAddress: string, net: string): Promise<void> {
  // Always a fresh tap: a previous vector-driver run leaves offloads switched on, which breaks
  // TCP over the next one.
  await deleteTap(tap);
  await ip('tuntap', 'add', 'dev', tap, 'mode', 'tap');
  await ip('addr', 'add', `${hostAddress}/30`, 'dev', tap);
  await ip('link', 'set', tap, 'up');
  // Short minimum RTO on the host side of the link too: rare lost segments otherwise stall ~200 ms.
  await ip(
    'route',
    'replace',
    net,
    'dev',
    tap,
    'proto',
    'kernel',
    'scope',
    'link',
    'src',
    hostAddress,
    'rto_min',
    '10ms',
  );
}

async function deleteTap(tap: string): Promise<void> {
  try {
    await ip('link', 'del', tap);
  } catch {
    // not there
  }
}

async function ping(host: string, port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}:${port}/_ping`, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    return false;
  }
}

function readIf(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function tail(text: string, lines = 25): string {
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Stops a guest described by `state` (also one started by another process, e.g. the CLI): asks
 * it to power off through the stop file, kills its process group after `timeoutMs`, deletes the
 * tap and (when the run directory was created for it) the directory.
 */
export async function stopUmlDocker(state: UmlDockerState, timeoutMs = 20_000): Promise<void> {
  if (existsSync(state.dir)) writeFileSync(path.join(state.dir, 'stop'), '');
  const deadline = Date.now() + timeoutMs;
  while (processAlive(state.pid) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
  killUmlGroup(state.pid);
  // wait out the SIGKILL before the tap goes (the kernel holds it open)
  for (let i = 0; i < 50 && processAlive(state.pid); i++) await new Promise((ok) => setTimeout(ok, 100));
  await deleteTap(state.tap);
  if (state.ownsDir && process.env.GAMEDAY_LAB_KEEP !== '1') rmSync(state.dir, { recursive: true, force: true });
}

/** Asks the guest's init for a dockerd restart (a file it polls each second) and times it. */
export async function restartGuestDockerd(state: UmlDockerState, timeoutMs = 90_000): Promise<DockerdRestart> {
  const count = () => Number(readIf(path.join(state.dir, 'dockerd-restarts')).trim() || 0);
  const before = count();
  const requestedAt = Date.now();
  writeFileSync(path.join(state.dir, 'restart-dockerd'), '');
  for (;;) {
    if (count() > before && (await ping(state.host, state.port))) break;
    if (Date.now() - requestedAt > timeoutMs)
      throw new Error(
        `dockerd did not answer within ${timeoutMs} ms of a restart\n${tail(readIf(path.join(state.dir, 'dockerd.log')))}`,
      );
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const answeringAt = Date.now();
  // the guest's clock is the host's (user-mode-linux reads the host's time)
  const logged = (what: string) => {
    const line = readIf(path.join(state.dir, 'guest.log'))
      .split('\n')
      .filter((l) => l.endsWith(` ${what}`))
      .pop();
    return line ? Number(line.split(' ')[0]) : NaN;
  };
  return {
    requestedAt,
    stoppingAt: logged('restarting dockerd'),
    stoppedAt: logged('dockerd stopped for a restart'),
    answeringAt,
  };
}

/**
 * Boots the lab kernel with a Docker Engine inside, waits for its API, loads `images` into it and
 * returns a dockerode client for it. On any failure the guest is stopped and the tap removed
 * before the error is thrown. Needs root (tap device) and the packages of `scripts/bootstrap.sh lab`.
 */
export async function startUmlDocker(opts: UmlDockerOptions = {}): Promise<UmlDocker> {
  const kernel = requireLabKernel(DOCKER_LAB_MODULES);
  const searchPath = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  for (const tool of ['dockerd', 'containerd', 'runc', 'xtables-legacy-multi', 'ip']) {
    if (!searchPath.some((d) => existsSync(path.join(d, tool)))) {
      throw new Error(
        `lab prerequisite missing: ${tool} (the guest runs the host's Docker Engine binaries); install it with \`bash scripts/bootstrap.sh lab\``,
      );
    }
  }
  // choosing a free /30 and taking it (its route) is one step under a machine-wide lock: guests
  // booted at the same moment (lab files in two jest workers) would otherwise pick the same one
  const releaseSubnetLock = await lockSubnets();
  const used = await usedLabSubnets().catch((e: Error) => {
    releaseSubnetLock();
    throw e;
  });
  const subnet = opts.subnet ?? [...Array(64).keys()].find((n) => !used.has(n));
  if (subnet === undefined || subnet < 0 || subnet > 63) {
    releaseSubnetLock();
    throw new Error('no free /30 left in 10.199.0.0/24 for the lab link');
  }
  const base = subnet * 4;
  const hostAddress = `10.199.0.${base + 1}`;
  const host = `10.199.0.${base + 2}`;
  const net = `10.199.0.${base}/30`;
  // named after its /30, which no live lab holds (chosen above under the lock): a counter per
  // module restarted in every jest test file, and one file's guest took the name of another's live
  // tap, deleted it and cut that guest off (another guest then got its address and two lab lanes
  // shared one engine)
  const tap = opts.tap ?? `gdlab${subnet}`;
  if (tap.length > 15) throw new Error(`tap name ${tap} is longer than 15 characters`);
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'gameday-lab-docker-'));
  mkdirSync(dir, { recursive: true });
  rmSync(path.join(dir, 'stop'), { force: true });
  rmSync(path.join(dir, 'guest.log'), { force: true });
  rmSync(path.join(dir, 'boot-error'), { force: true });
  for (const f of ['dockerd.log', 'dockerd-restarts', 'restart-dockerd']) rmSync(path.join(dir, f), { force: true });

  try {
    await createTap(tap, hostAddress, net);
  } finally {
    releaseSubnetLock();
  }
  const forgetTap = opts.detached
    ? () => false
    : onHarnessExit(() => {
        execFileSync('ip', ['link', 'del', tap], { stdio: 'ignore' });
      });
  const started = Date.now();
  let child;
  try {
    child = bootUml({
      kernel,
      init: path.join(LAB_SCRIPTS_DIR, 'uml-init-docker.sh'),
      dir,
      memMb: opts.memMb ?? 1024,
      detached: opts.detached,
      tap,
      // gro=1: without it bulk host→guest transfers (image loads) stall.
      extraArgs: [
        `vec0:transport=tap,ifname=${tap},mac=02:00:0a:c7:00:${(base + 2).toString(16).padStart(2, '0')},gro=1`,
      ],
      initEnv: {
        GD_LAB_MODULES: DOCKER_LAB_MODULES.join(','),
        GD_LAB_GUEST_IP: host,
        GD_LAB_NET: net,
        GD_LAB_DOCKER_PORT: String(DOCKER_LAB_PORT),
      },
    });
  } catch (err) {
    await deleteTap(tap);
    forgetTap();
    throw err;
  }
  const state: UmlDockerState = { pid: child.pid!, tap, dir, host, hostAddress, port: DOCKER_LAB_PORT, ownsDir };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= stopUmlDocker(state).then(() => void forgetTap()));

  try {
    const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
    for (;;) {
      if (await ping(host, DOCKER_LAB_PORT)) break;
      const bootError = readIf(path.join(dir, 'boot-error'));
      const exited = !processAlive(state.pid) || child.exitCode !== null;
      if (bootError || exited || Date.now() - started > readyTimeoutMs) {
        const why =
          bootError.trim() || (exited ? 'the lab kernel exited' : `no Docker API within ${readyTimeoutMs} ms`);
        throw new Error(
          `nested Docker did not start: ${why}\nguest log:\n${readIf(path.join(dir, 'guest.log'))}\ndockerd log:\n${tail(readIf(path.join(dir, 'dockerd.log')))}\nconsole:\n${tail(readIf(path.join(dir, 'console.log')))}`,
        );
      }
      await new Promise((ok) => setTimeout(ok, 200));
    }
    const apiReadyMs = Date.now() - started;
    const docker = new Docker({ host, port: DOCKER_LAB_PORT, protocol: 'http' });
    const imageLoads: ImageLoad[] = [];
    if (opts.images?.length) {
      const from = opts.hostDocker ?? new Docker();
      imageLoads.push(await copyImages(from, docker, opts.images));
    }
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
    const restartDockerd = (timeoutMs?: number) => restartGuestDockerd(state, timeoutMs);
    return {
      docker,
      host,
      port: DOCKER_LAB_PORT,
      hostAddress,
      tap,
      state,
      timings: { apiReadyMs, imageLoads },
      stop,
      restartDockerd,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

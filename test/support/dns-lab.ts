import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Docker from 'dockerode';
import { faultSchema, type DnsFaultSpec, type ResolvedTarget } from '@gameday/core';
import { PrismaLeaseRepository, PrismaService } from '@gameday/db';
import { DockerFaultDriver, ensureDnsImage, ensureHelperImage } from '@gameday/faults';
import { LeaseLedger } from '../../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';
import { waitFor } from './harness';

/**
 * What the dns kind's integration tests share: a target and two peers (svc-a, svc-b) on a
 * user-defined network of the host's Docker Engine, where the target resolves both through
 * Docker's embedded DNS (127.0.0.11, whose DNAT rules sit in the target's nat table), and the
 * ways to ask and to look: lookups in the target (busybox nslookup prints the answer code), from
 * this host in its netns (timings), with one reused UDP socket (dns-udp-client.py), the nat table,
 * the resolver processes of a helper. useDnsLab() registers the hooks and returns the lab, filled
 * in by beforeAll.
 */

export type Answer = 'nxdomain' | 'servfail' | 'none' | string;

export interface UdpAnswer {
  at: number;
  answer: string;
  ms: number;
}

export interface DnsLab {
  P: string;
  ENGINE: string;
  /** the peers' container names (and DNS names) */
  A: string;
  B: string;
  docker: Docker;
  prisma: PrismaService;
  leases: PrismaLeaseRepository;
  ledger: LeaseLedger;
  driver: DockerFaultDriver;
  target: ResolvedTarget;
  sandbox: string;
  ips: Record<string, string>;
  spec(input: Record<string, unknown>): DnsFaultSpec;
  run(argv: string[], timeoutMs: number): Promise<{ out: string; code: number | null; ms: number }>;
  lookupInTarget(name: string): Promise<Answer>;
  lookupTimed(name: string, timeoutMs?: number): Promise<{ answer: Answer; ms: number }>;
  natTable(): Promise<string>;
  legacyTables(): Promise<string>;
  udpClient(name: string, intervalMs: number, durationMs: number): Promise<UdpAnswer[]>;
  resolversIn(helperId: string): Promise<number>;
}

export function useDnsLab(prefix: string): DnsLab {
  const P = `${prefix}-${randomBytes(3).toString('hex')}`;
  const ENGINE = `dns-test-${P}`;
  const A = `${P}-svc-a`;
  const B = `${P}-svc-b`;
  const docker = new Docker();
  const prisma = new PrismaService(process.env.DATABASE_URL!);
  const leases = new PrismaLeaseRepository(prisma);
  const ledger = new LeaseLedger(leases);
  const ips: Record<string, string> = {};
  let sandbox = '';

  /** Runs a host program; resolves with its output and whether it ended by itself within timeoutMs. */
  function run(argv: string[], timeoutMs: number): Promise<{ out: string; code: number | null; ms: number }> {
    const start = performance.now();
    return new Promise((resolve) => {
      execFile(argv[0], argv.slice(1), { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ out: `${stdout}${stderr}`, code, ms: performance.now() - start });
      });
    });
  }

  type Answer = 'nxdomain' | 'servfail' | 'none' | string;

  /** What the answer was: NXDOMAIN, SERVFAIL, none within the client's timeout, or the A address. */
  function answerOf(out: string, code: number | null, name: string): Answer {
    if (code === null) return 'none';
    if (/NXDOMAIN/.test(out)) return 'nxdomain';
    if (/SERVFAIL/.test(out)) return 'servfail';
    if (/timed out|no servers could be reached/.test(out)) return 'none';
    const m = new RegExp(`Name:\\s+${name}[.\\w-]*\\s+Address: (\\d+\\.\\d+\\.\\d+\\.\\d+)`).exec(out);
    return m ? m[1] : `unparsed: ${out.replace(/\s+/g, ' ').slice(0, 200)}`;
  }

  /** An A query from inside the target, as its applications make them (resolv.conf: 127.0.0.11). */
  async function lookupInTarget(name: string): Promise<Answer> {
    const r = await run(
      ['docker', 'exec', `${P}-t`, 'busybox', 'timeout', '2', 'busybox', 'nslookup', '-type=a', name],
      4_000,
    );
    return answerOf(r.out, r.code === 143 ? null : r.code, name);
  }

  /** The same query from this host in the target's netns (no docker exec on the way): for timings. */
  async function lookupTimed(name: string, timeoutMs = 1_500): Promise<{ answer: Answer; ms: number }> {
    const r = await run(
      ['nsenter', `--net=${sandbox}`, '--', 'busybox', 'nslookup', '-type=a', name, '127.0.0.11'],
      timeoutMs,
    );
    return { answer: answerOf(r.out, r.code, name), ms: r.ms };
  }

  /** The netns' nat table as iptables-nft-save prints it, counters removed (Docker's rules live there). */
  async function natTable(): Promise<string> {
    const r = await run(['nsenter', `--net=${sandbox}`, '--', 'iptables-nft-save', '-t', 'nat'], 5_000);
    return r.out
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/g, '[]'))
      .join('\n');
  }

  async function legacyTables(): Promise<string> {
    return (await run(['nsenter', `--net=${sandbox}`, '--', 'iptables-legacy-save'], 5_000)).out;
  }

  interface UdpAnswer {
    at: number;
    answer: string;
    ms: number;
  }

  /** test/support/dns-udp-client.py in the target's netns: one socket, a query every intervalMs. */
  async function udpClient(name: string, intervalMs: number, durationMs: number): Promise<UdpAnswer[]> {
    const client = join(__dirname, 'dns-udp-client.py');
    const r = await run(
      [
        'nsenter',
        `--net=${sandbox}`,
        '--',
        'python3',
        client,
        name,
        '127.0.0.11',
        String(intervalMs),
        String(durationMs),
      ],
      durationMs + 5_000,
    );
    return r.out
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([at, rcode, count, ms]) => ({ at: Number(at), answer: `${rcode} ${count}`, ms: Number(ms) }));
  }

  function spec(input: Record<string, unknown>): DnsFaultSpec {
    return faultSchema.parse({ kind: 'dns', target: { container: `${P}-t` }, names: [A], ...input }) as DnsFaultSpec;
  }

  /** dnsdist processes in a helper container (docker top: the engine's view, whatever the helper says). */
  async function resolversIn(helperId: string): Promise<number> {
    const top: { Processes?: string[][] } = await docker
      .getContainer(helperId)
      .top({ ps_args: '-o pid,comm' })
      .catch(() => ({ Processes: [] }));
    return (top.Processes ?? []).filter((p: string[]) => p.some((w) => /dnsdist/.test(w))).length;
  }

  const lab = {
    P,
    ENGINE,
    A,
    B,
    docker,
    prisma,
    leases,
    ledger,
    ips,
    spec,
    run,
    lookupInTarget,
    lookupTimed,
    natTable,
    legacyTables,
    udpClient,
    resolversIn,
  } as DnsLab;

  beforeAll(async () => {
    await docker.ping();
    const helperImage = await ensureHelperImage(docker);
    await ensureDnsImage(docker, helperImage);
    lab.driver = new DockerFaultDriver(docker, { helperImage, engine: ENGINE });
    await docker.createNetwork({ Name: `${P}-net` });
    const image = await ensureLabTargetImage(docker);
    for (const name of [`${P}-t`, A, B]) {
      const c = await docker.createContainer({
        name,
        Image: image,
        Cmd: ['sleep', '3600'],
        Labels: { 'gameday.enabled': 'true' },
        HostConfig: { NetworkMode: `${P}-net` },
      });
      await c.start();
      const info = await c.inspect();
      ips[name] = info.NetworkSettings.Networks[`${P}-net`].IPAddress;
      if (name === `${P}-t`) lab.sandbox = sandbox = info.NetworkSettings.SandboxKey;
    }
    lab.target = (await lab.driver.resolveTargets(spec({ action: 'nxdomain' }))).targets[0];
    await waitFor(
      'both peers to resolve',
      async () => (await lookupInTarget(A)) === ips[A] && (await lookupInTarget(B)) === ips[B],
    );
  }, 600_000);

  // a failed case must not leave its fault for the next ones: its open leases are reverted (and
  // its helpers removed in afterAll)
  afterEach(async () => {
    for (const lease of (await leases.listActive()).filter((l) => l.engine === ENGINE))
      await ledger.revert(lab.driver, lease, 'planned_end').catch(() => undefined);
  }, 30_000);

  afterAll(async () => {
    const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
    for (const h of helpers.filter((h) => h.Labels['gameday.target'] === lab.target?.containerId))
      await docker
        .getContainer(h.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const name of [`${P}-t`, A, B])
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
    await docker
      .getNetwork(`${P}-net`)
      .remove()
      .catch(() => undefined);
    await prisma.activeFault.deleteMany({ where: { engine: ENGINE } });
    await prisma.$disconnect();
  }, 120_000);

  return lab;
}

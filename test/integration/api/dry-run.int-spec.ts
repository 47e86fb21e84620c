import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { instantiateTemplate, listTemplates, templateCatalogue } from '@gameday/core';
import { DEFAULT_ENGINE, RUNNER_QUEUES, engineQueue } from '@gameday/queue';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { useStack } from '../../support/stack.fixture';

// Real Postgres, Redis, BullMQ and Docker Engine: the API enqueues the dry run, a real worker
// resolves the targets on the host engine and compiles the commands. Nothing may be applied.

const docker = new Docker();
const suffix = randomUUID().slice(0, 8);
const TARGET = `gd-dryrun-target-${suffix}`;
const OPTED_OUT = `gd-dryrun-optout-${suffix}`;
const GROUP = { 'gd-dryrun-group': suffix };
// the template catalogue's GameDays point at a compose project: three services of the lab target
const PROJECT = `gd-tpl-${suffix}`;
const SERVICES = ['front', 'app', 'db'] as const;
const serviceContainer = (service: string) => `gd-tpl-${service}-${suffix}`;

describe('dry run (API → fault queue → worker → Docker, nothing applied)', () => {
  // every template is dry-run by the viewer: more than the 10 a token may ask for per minute
  const stack = useStack({
    name: 'dryrun',
    worker: 'stop-at-arming',
    users: ['viewer'],
    env: { DRY_RUN_RATE_PER_MINUTE: '60' },
  });
  const { prisma } = stack;
  let targetId = '';
  let targetPid = 0;

  beforeAll(async () => {
    const image = await ensureLabTargetImage(docker);
    // the image opts in (gameday.enabled=true); the second container overrides it
    const target = await docker.createContainer({
      name: TARGET,
      Image: image,
      Labels: { 'gameday.enabled': 'true', ...GROUP },
    });
    const optedOut = await docker.createContainer({
      name: OPTED_OUT,
      Image: image,
      Labels: { 'gameday.enabled': 'false', ...GROUP },
    });
    await target.start();
    await optedOut.start();
    for (const service of SERVICES) {
      const c = await docker.createContainer({
        name: serviceContainer(service),
        Image: image,
        Labels: { 'com.docker.compose.project': PROJECT, 'com.docker.compose.service': service },
      });
      await c.start();
    }
    const info = await target.inspect();
    targetId = info.Id;
    targetPid = info.State.Pid;
  });

  afterAll(async () => {
    for (const name of [TARGET, OPTED_OUT, ...SERVICES.map(serviceContainer)]) {
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  function experiment(name: string, fault: Record<string, unknown>) {
    return {
      name,
      hypothesis: { description: 'd', probes: [{ name: 'p', url: 'http://127.0.0.1:9/', timeoutMs: 500 }] },
      fault,
      durations: { baseline: '1s', fault: '1s', recovery: '1s' },
    };
  }

  async function create(experiments: unknown[], extra: Record<string, unknown> = {}) {
    const res = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send({
        name: `dryrun-${randomUUID()}`,
        timezone: 'UTC',
        schedule: { at: new Date(Date.now() + 3600_000).toISOString() },
        experiments,
        ...extra,
      });
    expect({ status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({
      status: 201,
      body: undefined,
    });
    stack.gameDayIds.push(res.body.id);
    return res.body.id as string;
  }

  const qdiscs = () =>
    execFileSync('nsenter', ['-t', String(targetPid), '-n', 'tc', 'qdisc', 'show'], { encoding: 'utf8' });
  const joinedContainers = async () =>
    (await docker.listContainers({ all: true })).filter((c) => c.HostConfig?.NetworkMode === `container:${targetId}`);

  it('returns the resolved targets, refused candidates and exact argv for each experiment, and applies nothing', async () => {
    const qdiscsBefore = qdiscs();
    const leasesBefore = await prisma.activeFault.count({ where: { containerId: targetId } });
    const id = await create([
      experiment('delay', {
        kind: 'network',
        target: { labels: GROUP, selection: { mode: 'all' } },
        netem: { delay: '500ms', jitter: '100ms' },
      }),
      experiment('pause', { kind: 'container', target: { container: TARGET }, action: 'pause' }),
      experiment('missing', {
        kind: 'container',
        target: { container: `gd-dryrun-nobody-${suffix}` },
        action: 'pause',
      }),
    ]);

    const started = Date.now();
    const res = await stack.http.post(`/api/v1/gamedays/${id}/dry-run`).set(stack.as('viewer')).send();
    console.log(`dry run answered in ${Date.now() - started} ms`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ gameDayId: id, gameDayVersion: 1 });
    expect(Date.parse(res.body.resolvedAt)).toBeGreaterThan(started - 1_000);
    const [net, pause, missing] = res.body.experiments;

    expect(net.name).toBe('delay');
    expect(net.result.kind).toBe('network');
    expect(net.result.targets).toHaveLength(1);
    expect(net.result.targets[0].target).toMatchObject({ containerId: targetId, containerName: TARGET });
    expect(net.result.targets[0].strategy).toBe('sidecar');
    const apply = net.result.targets[0].apply as string[][];
    expect(
      apply.some(
        (argv) =>
          argv[0] === 'tc' &&
          argv.includes('netem') &&
          argv.includes('delay') &&
          argv.includes('500ms') &&
          argv.includes('100ms'),
      ),
    ).toBe(true);
    expect((net.result.targets[0].revert as string[][]).every((argv) => argv[0] === 'tc' || argv[0] === 'ip')).toBe(
      true,
    );
    expect(net.result.targets[0].verify.length).toBeGreaterThan(0);
    expect(net.result.refused).toEqual([expect.objectContaining({ name: OPTED_OUT, reason: 'not_opted_in' })]);

    expect(pause.result.targets[0].apply).toEqual([expect.arrayContaining(['pause'])]);
    expect(pause.result.targets[0].revert).toEqual([expect.arrayContaining(['unpause'])]);
    expect(missing.result).toBeUndefined();
    expect(missing.error).toMatch(/no eligible target/);

    // nothing applied: no qdisc change, no pause, no helper in the target's netns, no lease
    expect(qdiscs()).toBe(qdiscsBefore);
    expect(qdiscs()).not.toMatch(/netem|prio/);
    expect((await docker.getContainer(TARGET).inspect()).State.Paused).toBe(false);
    expect(await joinedContainers()).toEqual([]);
    expect(await prisma.activeFault.count({ where: { containerId: targetId } })).toBe(leasesBefore);
    expect(await prisma.run.count({ where: { gameDayId: id } })).toBe(0);
  });

  it('shows viewers no host PIDs or network namespace paths; operators and admins see them', async () => {
    const id = await create([
      experiment('sidecar', { kind: 'network', target: { container: TARGET }, netem: { delay: '10ms' } }),
      experiment('nsenter', {
        kind: 'network',
        target: { container: TARGET },
        netem: { delay: '10ms' },
        strategy: 'nsenter',
      }),
    ]);
    const asViewer = await stack.http.post(`/api/v1/gamedays/${id}/dry-run`).set(stack.as('viewer')).send();
    expect(asViewer.status).toBe(200);
    const text = JSON.stringify(asViewer.body);
    expect(text).not.toMatch(/"pid"|"netnsId"|\/netns\/|\/proc\/\d/);
    expect(text).not.toContain(`"${targetPid}"`);
    const [sidecar, nsenter] = asViewer.body.experiments;
    expect(sidecar.result.targets[0].target).toMatchObject({ containerId: targetId, containerName: TARGET });
    expect(nsenter.result.targets[0].runner).toEqual(['nsenter', '-t', '<pid>', '-n', '--']);
    // the commands themselves stay whole
    expect(nsenter.result.targets[0].apply).toEqual(sidecar.result.targets[0].apply);

    const asAdmin = await stack.http.post(`/api/v1/gamedays/${id}/dry-run`).set(stack.admin).send();
    expect(asAdmin.status).toBe(200);
    const target = asAdmin.body.experiments[1].result.targets[0];
    expect(target.target.pid).toBe(targetPid);
    expect(target.target.netnsId).toMatch(/\/netns\//);
    expect(target.runner).toEqual(['nsenter', '-t', String(targetPid), '-n', '--']);
  });

  // every template of the catalogue (`gameday new`, GET /templates), pointed at real containers:
  // created through the API and dry-run by a real worker, each experiment's targets resolved
  it('dry-runs every template of the catalogue with its targets resolved', async () => {
    const values: Record<string, Record<string, unknown>> = {
      'service-latency': { target: 'app' },
      'database-unreachable': { target: 'app', database: 'db', port: 5432 },
      'process-crash': { target: 'db', process: 'busybox', every: '10s' },
      'container-pause': { target: 'app' },
      'container-restart': { target: 'app' },
      partition: { serviceA: 'app', serviceB: 'front' },
      // its first step's target is checked below; each step is an entry of its own
      'bad-afternoon': { target: 'app', database: 'db', port: 5432 },
      'noisy-neighbour': { target: 'app', memoryMb: 16 },
      'connection-reset': { target: 'app', database: 'db', port: 5432 },
      // the lab image has no /tmp: its one directory
      'disk-full': { target: 'db', path: '/www', mb: 4 },
      'dns-outage': { target: 'app', name: 'db' },
    };
    // the catalogue as the web UI reads it: viewers may, anonymous callers may not
    const listed = await stack.http.get('/api/v1/templates').set(stack.as('viewer'));
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((t: { name: string }) => t.name)).toEqual(listTemplates().map((t) => t.name));
    expect(listed.body.items[0].spec).toEqual(instantiateTemplate(templateCatalogue().get(listed.body.items[0].name)!));
    expect((await stack.http.get('/api/v1/templates')).status).toBe(401);
    // a new template must be added here, pointed at these containers
    expect(Object.keys(values).sort()).toEqual(
      listTemplates()
        .map((t) => t.name)
        .sort(),
    );
    const started = Date.now();
    for (const [name, set] of Object.entries(values)) {
      const at = new Date(Date.now() + 3600_000).toISOString();
      const spec = instantiateTemplate(templateCatalogue().get(name)!, { ...set, project: PROJECT, at });
      const res = await stack.http
        .post('/api/v1/gamedays')
        .set(stack.admin)
        .send({ ...spec, name: `${spec.name} ${suffix}` });
      expect({ name, status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({
        name,
        status: 201,
        body: undefined,
      });
      stack.gameDayIds.push(res.body.id);
      const dry = await stack.http.post(`/api/v1/gamedays/${res.body.id}/dry-run`).set(stack.as('viewer')).send();
      expect({ name, status: dry.status }).toEqual({ name, status: 200 });
      const [e] = dry.body.experiments;
      expect({ name, error: e.error }).toEqual({ name, error: undefined });
      // a partition's targets are both groups, each told its side
      const sides = e.fault.kind === 'partition' ? [set.serviceA, set.serviceB] : [set.target];
      expect(e.result.targets.map((t: { target: { containerName: string } }) => t.target.containerName)).toEqual(
        sides.map((s) => serviceContainer(String(s))),
      );
      if (e.fault.kind === 'partition')
        expect(e.result.targets.map((t: { side: string }) => t.side)).toEqual([
          `between.0 (compose ${PROJECT}/app)`,
          `between.1 (compose ${PROJECT}/front)`,
        ]);
      const t = e.result.targets[0];
      if (e.fault.kind === 'blackhole' || e.fault.kind === 'partition') {
        // the peer service became its address on the network it shares with the target
        expect(t.peers).toEqual([
          expect.objectContaining({ addresses: [expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)] }),
        ]);
      }
      if (e.fault.kind === 'process-kill')
        expect(t.processes.map((p: { comm: string }) => p.comm)).toContain('busybox');
      if (e.fault.kind !== 'process-kill') expect(t.apply.length).toBeGreaterThan(0);
    }
    console.log(`${Object.keys(values).length} templates created and dry-run in ${Date.now() - started} ms`);
  });

  it('refuses unknown GameDays (404), bad ids (400) and anonymous callers (401)', async () => {
    expect((await stack.http.post(`/api/v1/gamedays/${randomUUID()}/dry-run`).set(stack.admin).send()).status).toBe(
      404,
    );
    const bad = await stack.http.post('/api/v1/gamedays/not-a-uuid/dry-run').set(stack.admin).send();
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('id');
    expect((await stack.http.post(`/api/v1/gamedays/${randomUUID()}/dry-run`).send()).status).toBe(401);
  });

  it('answers 502 with the reason when the worker fails the job', async () => {
    // a stored spec the worker cannot read (written behind the API's back)
    const row = await prisma.gameDay.create({
      data: {
        name: `dryrun-broken-${suffix}`,
        timezone: 'UTC',
        scheduleKind: 'at',
        runAt: new Date(Date.now() + 3600_000),
        spec: { name: 'broken' },
      },
    });
    stack.gameDayIds.push(row.id);
    const res = await stack.http.post(`/api/v1/gamedays/${row.id}/dry-run`).set(stack.admin).send();
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ type: 'urn:gameday:problem:worker-failed', status: 502 });
    expect(res.body.detail).toMatch(/experiments/);
  });

  it('answers 504 when no worker takes the job in time, and drops the job', async () => {
    // its own queue prefix: no worker listens there
    const lonely = stack.newConfig();
    const app = await stack.startApi(lonely, { dryRunTimeoutMs: 1_500 });
    const id = await create([
      experiment('pause', { kind: 'container', target: { container: TARGET }, action: 'pause' }),
    ]);
    const started = Date.now();
    const res = await request(app.getHttpServer()).post(`/api/v1/gamedays/${id}/dry-run`).set(stack.admin).send();
    const took = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:gameday:problem:worker-timeout', status: 504 });
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(5_000);
    const { Queue } = await import('bullmq');
    // the queue the job went to: dry runs of the engine the GameDay names (none: "default")
    const queue = new Queue(engineQueue(RUNNER_QUEUES.dryRun, DEFAULT_ENGINE), {
      connection: { url: lonely.REDIS_URL },
      prefix: lonely.QUEUE_PREFIX,
    });
    try {
      expect(await queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized')).toBe(0);
    } finally {
      await queue.close();
    }
  });
});

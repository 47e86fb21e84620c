import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { type Role, useStack } from '../../support/stack.fixture';
import { fullGameDay } from './full-gameday';

/**
 * Secrets in a spec are write-only: headers, bodies and webhook URLs read back redacted for every
 * role, on every read; a PATCH that sends the placeholders back keeps them; contacts are for
 * operators; dry runs show only GameDay's and Compose's container labels.
 */

const SECRETS = ['probe-secret', 'load-secret', 'T000/B000/secret', '{"q":1}', 'hunter2'];
const docker = new Docker();
const suffix = randomUUID().slice(0, 8);
const TARGET = `sec-secrets-target-${suffix}`;

describe('security: secrets are write-only', () => {
  const marker = `sec-secrets-${suffix}`;
  const stack = useStack({ name: marker, worker: 'stop-at-arming', users: ['viewer', 'operator'] });
  const { prisma } = stack;
  let id = '';

  const as = (role: string) => (role === 'admin' ? stack.admin : stack.as(role as Role));
  const leaks = (text: string) => SECRETS.filter((s) => text.includes(s));

  beforeAll(async () => {
    const image = await ensureLabTargetImage(docker);
    const target = await docker.createContainer({
      name: TARGET,
      Image: image,
      Labels: { 'gameday.enabled': 'true', 'sec-group': suffix, 'db.password': 'hunter2' },
    });
    await target.start();
    const body = fullGameDay(`${marker} gameday`, new Date(Date.now() + 7 * 24 * 3600_000));
    body.experiments[1].fault.target.labels = { 'sec-group': suffix };
    const created = await stack.http.post('/api/v1/gamedays').set(as('operator')).send(body);
    expect(created.status).toBe(201);
    id = created.body.id;
    stack.gameDayIds.push(id);
    expect(leaks(JSON.stringify(created.body))).toEqual([]);
  });

  afterAll(async () => {
    await docker
      .getContainer(TARGET)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it.each(['viewer', 'operator', 'admin'])('%s reads the GameDay and the list with secrets redacted', async (role) => {
    const one = await stack.http.get(`/api/v1/gamedays/${id}`).set(as(role));
    expect(one.status).toBe(200);
    expect(leaks(one.text)).toEqual([]);
    const probe = one.body.spec.experiments[0].hypothesis.probes[0];
    expect(probe.headers).toEqual({ Authorization: '***' });
    expect(probe.body).toBe('***');
    expect(one.body.spec.experiments[0].load.headers).toEqual({ 'X-Api-Key': '***' });
    expect(one.body.spec.webhooks[0].url).toBe('https://hooks.example.com/***');
    // contacts: operators and admins only
    expect(one.body.spec.participants[0].contact).toEqual(role === 'viewer' ? undefined : 'alice@example.com');
    const list = await stack.http.get(`/api/v1/gamedays?q=${encodeURIComponent(marker)}`).set(as(role));
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    expect(leaks(list.text)).toEqual([]);
  });

  it('a PATCH that sends the redacted placeholders back keeps the stored secrets; a new value replaces', async () => {
    const read = await stack.http.get(`/api/v1/gamedays/${id}`).set(as('operator'));
    const { experiments, webhooks } = read.body.spec;
    experiments[0].hypothesis.probes[0].timeoutMs = 1500;
    experiments[0].load.headers['X-Api-Key'] = 'new-load-key';
    const patched = await stack.http
      .patch(`/api/v1/gamedays/${id}`)
      .set(as('operator'))
      .send({ experiments, webhooks });
    expect(patched.status).toBe(200);
    expect(leaks(patched.text)).toEqual([]);
    expect(patched.text).not.toContain('new-load-key');
    const row = await prisma.gameDay.findUniqueOrThrow({ where: { id } });
    const spec = row.spec as ReturnType<typeof fullGameDay>;
    expect(spec.experiments[0].hypothesis.probes[0]).toMatchObject({
      timeoutMs: 1500,
      headers: { Authorization: 'Bearer probe-secret' },
      body: '{"q":1}',
    });
    expect(spec.experiments[0].load.headers).toEqual({ 'X-Api-Key': 'new-load-key' });
    expect(spec.experiments[0].load.body).toBe('x');
    expect(spec.webhooks[0].url).toBe('https://hooks.example.com/services/T000/B000/secret');

    // a placeholder with nothing stored behind it is refused, not saved as "***"
    experiments[0].hypothesis.probes[0].headers = { 'X-Other': '***' };
    const refused = await stack.http.patch(`/api/v1/gamedays/${id}`).set(as('operator')).send({ experiments });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toContainEqual(
      expect.objectContaining({ field: 'experiments[0].hypothesis.probes[0].headers["X-Other"]' }),
    );
  });

  it('runs, run details and reports show the snapshot redacted', async () => {
    const run = await stack.http.post(`/api/v1/gamedays/${id}/runs`).set(as('operator'));
    expect(run.status).toBe(201);
    expect(leaks(run.text)).toEqual([]);
    for (const role of ['viewer', 'operator', 'admin']) {
      const runs = await stack.http.get(`/api/v1/gamedays/${id}/runs`).set(as(role));
      expect(runs.status).toBe(200);
      expect(runs.body.items.length).toBe(1);
      expect(leaks(runs.text)).toEqual([]);
      const detail = await stack.http.get(`/api/v1/runs/${run.body.id}`).set(as(role));
      expect(detail.status).toBe(200);
      expect(leaks(detail.text)).toEqual([]);
      for (const format of ['markdown', 'html']) {
        const report = await stack.http.get(`/api/v1/runs/${run.body.id}/report?format=${format}`).set(as(role));
        expect(report.status).toBe(200);
        expect(leaks(report.text)).toEqual([]);
      }
    }
    await prisma.run.updateMany({ where: { gameDayId: id }, data: { status: 'cancelled', finishedAt: new Date() } });
    const finished = await stack.http.get(`/api/v1/runs/${run.body.id}`).set(as('viewer'));
    expect(leaks(finished.text)).toEqual([]);
    expect(finished.body.spec.participants[0].contact).toBeUndefined();
  });

  it('a dry run shows only gameday.* and compose labels of the containers it resolved', async () => {
    const res = await stack.http.post(`/api/v1/gamedays/${id}/dry-run`).set(as('viewer'));
    expect(res.status).toBe(200);
    const pause = res.body.experiments[1];
    expect(pause.result.targets.length).toBe(1);
    expect(JSON.stringify(pause.result)).toContain('gameday.enabled');
    expect(leaks(res.text)).toEqual([]);
    expect(res.text).not.toContain('db.password');
  });
});

import type { Prisma } from '@gameday/db';
import { randomUUID } from 'node:crypto';
import { minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// Real Postgres and Redis; the runs are written straight into the database as the worker would
// (events, probe samples, result), so notes, reports and blind mode are tested without Docker.
// test/integration/api/webhooks-report.int-spec.ts covers a report of a real run.
describe('run notes, reports and blind mode (real Postgres + Redis)', () => {
  const stack = useStack({ name: 'notes', users: ['viewer', 'operator'] });
  const { prisma } = stack;

  const T0 = Date.now() - 60_000;
  const plan = { index: 0, baselineAt: T0, injectAt: T0 + 10_000, revertAt: T0 + 30_000, endAt: T0 + 40_000 };
  const APPLY = ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '7a5c:', 'netem', 'delay', '500ms', '100ms'];
  const REVERT = ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '7a5c:'];

  /** A GameDay (announced or blind) with one run as the worker leaves it. */
  async function gameDayWithRun(mode: 'announced' | 'blind', finished: boolean, name = `notes-${randomUUID()}`) {
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name, mode }));
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    const stats = (count: number, errors: number, ms: number) => ({
      count,
      errors,
      errorRate: errors / count,
      errorsByKind: {},
      statusCounts: {},
      meanMs: ms,
      minMs: ms,
      maxMs: ms,
      p50Ms: ms,
      p95Ms: ms,
      p99Ms: ms,
    });
    const verdict = {
      verdict: 'hypothesis_held',
      reason: 'all 1 checks passed',
      checks: [{ window: 'fault', metric: 'p99Ms', comparator: '<=', threshold: 350, actual: 301, passed: true }],
      deviationRatio: 15.05,
    };
    const result = {
      experiments: [
        {
          index: 0,
          name: 'latency',
          plan,
          targets: [{ containerId: 'c0ffee0123456789', containerName: 'demo-service2-1' }],
          stats: { baseline: stats(20, 0, 20), fault: stats(40, 40, 301), recovery: stats(20, 0, 20) },
          probes: {},
          verdict,
          timeToRecoverMs: 140,
          injectionSkewMs: 2,
          revertSkewMs: 3,
          abortLatencyMs: null,
        },
      ],
      verdict: 'hypothesis_held',
      deviationRatio: 15.05,
    };
    const run = await prisma.run.create({
      data: {
        gameDayId: gameDay.id,
        scheduledFor: new Date(T0),
        trigger: 'manual',
        status: finished ? 'completed' : 'observing',
        spec: gameDay.spec as Prisma.InputJsonValue,
        gameDayVersion: gameDay.version,
        startedAt: new Date(T0),
        ...(finished
          ? {
              finishedAt: new Date(plan.endAt),
              verdict: 'hypothesis_held' as const,
              result: result as unknown as Prisma.InputJsonValue,
            }
          : {}),
      },
    });
    await prisma.runEvent.createMany({
      data: [
        {
          runId: run.id,
          type: 'phase.baseline',
          phase: 'baseline',
          experimentIndex: 0,
          plannedAt: new Date(T0),
          at: new Date(T0 + 4),
          message: 'measuring the steady state',
        },
        {
          runId: run.id,
          type: 'targets.resolved',
          experimentIndex: 0,
          at: new Date(T0 + 300),
          message: '1 target(s): demo-service2-1',
          data: { targets: [{ containerName: 'demo-service2-1' }] },
        },
        {
          runId: run.id,
          type: 'fault.armed',
          experimentIndex: 0,
          plannedAt: new Date(plan.injectAt),
          at: new Date(T0 + 800),
          message: 'network fault armed on demo-service2-1 (sidecar)',
          data: { containerId: 'c0ffee0123456789', applyArgv: [APPLY], revertArgv: [REVERT] },
        },
        {
          runId: run.id,
          type: 'fault.applied',
          experimentIndex: 0,
          plannedAt: new Date(plan.injectAt),
          at: new Date(plan.injectAt + 2),
          message: 'applied on demo-service2-1 2 ms after the planned instant',
          data: { applyArgv: [APPLY] },
        },
        ...(finished
          ? [
              {
                runId: run.id,
                type: 'fault.reverted',
                experimentIndex: 0,
                plannedAt: new Date(plan.revertAt),
                at: new Date(plan.revertAt + 3),
                message: 'reverted on demo-service2-1',
                data: {},
              },
            ]
          : []),
      ],
    });
    const samples: Prisma.ProbeSampleCreateManyInput[] = [];
    for (let at = T0; at < (finished ? plan.endAt : plan.revertAt); at += 250) {
      const phase = at < plan.injectAt ? 'baseline' : at < plan.revertAt ? 'fault' : 'recovery';
      samples.push({
        runId: run.id,
        experimentIndex: 0,
        probe: 'front',
        phase,
        at: new Date(at),
        durationMs: phase === 'fault' ? 301 : 20,
        status: phase === 'fault' ? 500 : 200,
        ok: phase !== 'fault',
        errorKind: phase === 'fault' ? 'status_mismatch' : null,
      });
    }
    await prisma.probeSample.createMany({ data: samples });
    return { gameDayId: gameDay.id, runId: run.id, samples: samples.length };
  }

  describe('notes and action items', () => {
    it('an operator adds notes and action items, ticks one off, and GET /runs/:id returns them', async () => {
      const { runId } = await gameDayWithRun('announced', true);
      const note = await stack.http
        .post(`/api/v1/runs/${runId}/notes`)
        .set(stack.as('operator'))
        .send({ kind: 'note', text: 'service1 answered 500 in ~300 ms as hoped' });
      expect(note.status).toBe(201);
      expect(note.body).toMatchObject({
        runId,
        kind: 'note',
        text: 'service1 answered 500 in ~300 ms as hoped',
        owner: null,
        done: false,
        doneAt: null,
      });
      expect(note.body.author).toMatch(/^notes-operator-/);
      const item = await stack.http
        .post(`/api/v1/runs/${runId}/notes`)
        .set(stack.as('operator'))
        .send({ kind: 'action_item', text: 'alert on upstream timeouts', owner: 'bob' });
      expect(item.status).toBe(201);

      const done = await stack.http
        .patch(`/api/v1/runs/${runId}/notes/${item.body.id}`)
        .set(stack.as('operator'))
        .send({ done: true });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({
        id: item.body.id,
        done: true,
        owner: 'bob',
        text: 'alert on upstream timeouts',
      });
      expect(Date.parse(done.body.doneAt)).toBeGreaterThan(Date.now() - 10_000);
      // ticking it off again keeps the first time
      const again = await stack.http
        .patch(`/api/v1/runs/${runId}/notes/${item.body.id}`)
        .set(stack.as('operator'))
        .send({ done: true, text: 'alert on upstream timeouts' });
      expect(again.body.doneAt).toBe(done.body.doneAt);
      const edited = await stack.http
        .patch(`/api/v1/runs/${runId}/notes/${item.body.id}`)
        .set(stack.as('operator'))
        .send({ done: false, text: 'page on upstream timeouts', owner: null });
      expect(edited.body).toMatchObject({ done: false, doneAt: null, text: 'page on upstream timeouts', owner: null });

      const run = await stack.http.get(`/api/v1/runs/${runId}`).set(stack.as('viewer'));
      expect(run.status).toBe(200);
      expect(run.body.notes.map((n: { id: string }) => n.id)).toEqual([note.body.id, item.body.id]);
      expect(run.body.notes[1]).toMatchObject({ kind: 'action_item', text: 'page on upstream timeouts', done: false });
      expect(await prisma.runNote.count({ where: { runId } })).toBe(2);
    });

    it.each([
      ['unknown kind', { kind: 'todo', text: 'x' }, 'kind'],
      ['no text', { kind: 'note' }, 'text'],
      ['blank text', { kind: 'note', text: '   ' }, 'text'],
      ['text too long', { kind: 'note', text: 'x'.repeat(4001) }, 'text'],
      ['empty owner', { kind: 'action_item', text: 'x', owner: '' }, 'owner'],
      ['unknown field', { kind: 'note', text: 'x', colour: 'red' }, 'colour'],
      ['text not a string', { kind: 'note', text: 42 }, 'text'],
    ])('refuses a note with %s, naming the field, writing nothing', async (_label, body, field) => {
      const { runId } = await gameDayWithRun('announced', true);
      const res = await stack.http.post(`/api/v1/runs/${runId}/notes`).set(stack.as('operator')).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await prisma.runNote.count({ where: { runId } })).toBe(0);
    });

    it('refuses bad patches, viewers, unknown runs and notes of another run', async () => {
      const a = await gameDayWithRun('announced', true);
      const b = await gameDayWithRun('announced', true);
      const note = await stack.http
        .post(`/api/v1/runs/${a.runId}/notes`)
        .set(stack.as('operator'))
        .send({ kind: 'action_item', text: 'x' });
      const patch = (runId: string, body: unknown, who: 'viewer' | 'operator' = 'operator') =>
        stack.http
          .patch(`/api/v1/runs/${runId}/notes/${note.body.id}`)
          .set(stack.as(who))
          .send(body as object);
      const empty = await patch(a.runId, {});
      expect(empty.status).toBe(400);
      const notBool = await patch(a.runId, { done: 'yes' });
      expect(notBool.status).toBe(400);
      expect(notBool.body.errors[0].field).toBe('done');
      expect((await patch(a.runId, { done: true }, 'viewer')).status).toBe(403);
      expect((await patch(b.runId, { done: true })).status).toBe(404);
      expect(
        (
          await stack.http
            .post(`/api/v1/runs/${randomUUID()}/notes`)
            .set(stack.as('operator'))
            .send({ kind: 'note', text: 'x' })
        ).status,
      ).toBe(404);
      expect(
        (
          await stack.http
            .post(`/api/v1/runs/${a.runId}/notes`)
            .set(stack.as('viewer'))
            .send({ kind: 'note', text: 'x' })
        ).status,
      ).toBe(403);
      expect((await stack.http.post(`/api/v1/runs/${a.runId}/notes`).send({ kind: 'note', text: 'x' })).status).toBe(
        401,
      );
      expect((await prisma.runNote.findUniqueOrThrow({ where: { id: note.body.id } })).doneAt).toBeNull();
    });
  });

  describe('report', () => {
    it('renders a self-contained HTML page by default, with the windows, verdict, stats, argv and notes', async () => {
      const { runId, samples } = await gameDayWithRun('announced', true, 'report <b>html</b>');
      await stack.http
        .post(`/api/v1/runs/${runId}/notes`)
        .set(stack.as('operator'))
        .send({ kind: 'action_item', text: 'add a retry budget', owner: 'carol' });
      const res = await stack.http.get(`/api/v1/runs/${runId}/report`).set(stack.as('viewer'));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      const html = res.text;
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html).not.toMatch(/<script|<link|src=/i);
      expect(html).toContain('report &lt;b&gt;html&lt;/b&gt;');
      for (const w of ['baseline', 'fault', 'recovery']) expect(html).toContain(`data-window="${w}"`);
      expect(html.match(/<circle class="pt/g)).toHaveLength(samples);
      expect(html).toContain('data-event="fault.applied"');
      expect(html).toContain('data-event="fault.reverted"');
      expect(html).toContain('hypothesis_held');
      expect(html).toContain('15.05');
      expect(html).toContain('140 ms');
      expect(html).toContain(APPLY.join(' '));
      expect(html).toContain(REVERT.join(' '));
      expect(html).toContain('add a retry budget');
      expect(html).toContain('carol');
    });

    it('renders Markdown by Accept (or ?format=markdown) and refuses types it cannot produce', async () => {
      const { runId } = await gameDayWithRun('announced', true);
      const md = await stack.http
        .get(`/api/v1/runs/${runId}/report`)
        .set(stack.as('viewer'))
        .set('Accept', 'text/markdown');
      expect(md.status).toBe(200);
      expect(md.headers['content-type']).toMatch(/^text\/markdown; charset=utf-8/);
      expect(md.headers.vary).toMatch(/Accept/);
      expect(md.text).toMatch(/^# GameDay report: /);
      expect(md.text).toContain('| fault | 40 | 40 | 100 % | 301 ms | 301 ms | 301 ms | 301 ms |');
      expect(md.text).toContain(APPLY.join(' '));
      const byQuery = await stack.http
        .get(`/api/v1/runs/${runId}/report?format=markdown`)
        .set(stack.as('viewer'))
        .set('Accept', 'text/html');
      expect(byQuery.headers['content-type']).toMatch(/^text\/markdown/);
      const preferred = await stack.http
        .get(`/api/v1/runs/${runId}/report`)
        .set(stack.as('viewer'))
        .set('Accept', 'text/html;q=0.5, text/markdown');
      expect(preferred.headers['content-type']).toMatch(/^text\/markdown/);
      const png = await stack.http
        .get(`/api/v1/runs/${runId}/report`)
        .set(stack.as('viewer'))
        .set('Accept', 'image/png');
      expect(png.status).toBe(406);
      expect(png.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(
        (await stack.http.get(`/api/v1/runs/${runId}/report?format=pdf`).set(stack.as('viewer'))).body.errors[0].field,
      ).toBe('format');
      expect((await stack.http.get(`/api/v1/runs/${randomUUID()}/report`).set(stack.as('viewer'))).status).toBe(404);
      expect((await stack.http.get(`/api/v1/runs/${runId}/report`)).status).toBe(401);
    });

    it('reports a run still in progress without a result', async () => {
      const { runId } = await gameDayWithRun('announced', false);
      const res = await stack.http.get(`/api/v1/runs/${runId}/report`).set(stack.as('viewer'));
      expect(res.status).toBe(200);
      expect(res.text).toContain('no verdict yet');
      expect(res.text).toContain('data-window="fault"');
      expect(res.text).toContain(APPLY.join(' '));
    });
  });

  describe('host details', () => {
    it("viewers see no host PIDs or network namespaces in a run's timeline, result or report; operators do", async () => {
      const { runId } = await gameDayWithRun('announced', true);
      const NSENTER = ['nsenter', '-t', '48213', '-n', '--', ...APPLY];
      await prisma.runEvent.createMany({
        data: [
          {
            runId,
            type: 'targets.resolved',
            experimentIndex: 0,
            message: '1 target(s): demo-service2-1',
            data: {
              targets: [{ containerName: 'demo-service2-1', pid: 48213, netnsId: '/var/run/docker/netns/0f3b9c' }],
            },
          },
          {
            runId,
            type: 'fault.unverified',
            experimentIndex: 0,
            message: "the target's PID 48213 leads to net:[4026532288] netns, not /proc/48213/ns/net",
            data: { applyArgv: [NSENTER], netnsId: '/var/run/docker/netns/0f3b9c' },
          },
        ],
      });
      const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
      const result = run.result as { experiments: { targets: Record<string, unknown>[] }[] };
      result.experiments[0].targets[0].netnsId = '/var/run/docker/netns/0f3b9c';
      await prisma.run.update({ where: { id: runId }, data: { result: result as unknown as Prisma.InputJsonValue } });

      const hostDetail = /48213|\/netns\/|4026532288/;
      const viewer = await stack.http.get(`/api/v1/runs/${runId}`).set(stack.as('viewer'));
      expect(viewer.status).toBe(200);
      expect(JSON.stringify(viewer.body)).not.toMatch(hostDetail);
      const event = viewer.body.events.find((e: { type: string }) => e.type === 'fault.unverified');
      expect(event.data.applyArgv).toEqual([['nsenter', '-t', '<pid>', '-n', '--', ...APPLY]]);
      expect(event.message).toBe("the target's PID <pid> leads to net:[<inode>] netns, not /proc/<pid>/ns/net");
      for (const accept of ['text/html', 'text/markdown']) {
        const report = await stack.http
          .get(`/api/v1/runs/${runId}/report`)
          .set(stack.as('viewer'))
          .set('Accept', accept);
        expect(report.status).toBe(200);
        expect(report.text).not.toMatch(hostDetail);
      }

      const operator = await stack.http.get(`/api/v1/runs/${runId}`).set(stack.as('operator'));
      expect(JSON.stringify(operator.body)).toContain('/var/run/docker/netns/0f3b9c');
      expect(operator.body.events.find((e: { type: string }) => e.type === 'fault.unverified').data.applyArgv).toEqual([
        NSENTER,
      ]);
    });
  });

  describe('blind mode', () => {
    it('hides targets, argv and the fault from viewers until the champion reveals it', async () => {
      const { gameDayId, runId } = await gameDayWithRun('blind', false);
      const hidden = await stack.http.get(`/api/v1/runs/${runId}`).set(stack.as('viewer'));
      expect(hidden.status).toBe(200);
      const text = JSON.stringify(hidden.body);
      expect(text).not.toContain('demo-service2-1');
      expect(text).not.toContain('netem');
      expect(hidden.body.spec.experiments[0].fault).toEqual({ kind: 'network', hidden: true });
      const report = await stack.http.get(`/api/v1/runs/${runId}/report`).set(stack.as('viewer'));
      expect(report.status).toBe(200);
      expect(report.text).toContain('Blind GameDay');
      expect(report.text).not.toContain('demo-service2-1');
      expect(report.text).not.toContain('tc qdisc');
      expect(report.text).not.toContain('500ms');
      const md = await stack.http
        .get(`/api/v1/runs/${runId}/report`)
        .set(stack.as('viewer'))
        .set('Accept', 'text/markdown');
      expect(md.text).not.toContain('demo-service2-1');
      // operators run the GameDay: they see everything
      const operator = await stack.http.get(`/api/v1/runs/${runId}/report`).set(stack.as('operator'));
      expect(operator.text).toContain(APPLY.join(' '));
      // so do viewers once the champion reveals it
      expect(
        (await stack.http.post(`/api/v1/gamedays/${gameDayId}/reveal`).set(stack.as('viewer')).send()).status,
      ).toBe(403);
      const revealed = await stack.http.post(`/api/v1/gamedays/${gameDayId}/reveal`).set(stack.as('operator')).send();
      expect(revealed.status).toBe(200);
      const row = await prisma.gameDay.findUniqueOrThrow({ where: { id: gameDayId } });
      expect(row.revealedAt).not.toBeNull();
      expect(row.version).toBe(1);
      const after = await stack.http.get(`/api/v1/runs/${runId}/report`).set(stack.as('viewer'));
      expect(after.text).toContain(APPLY.join(' '));
      expect(after.text).toContain('demo-service2-1');
      expect(after.text).not.toContain('Blind GameDay');
      const view = await stack.http.get(`/api/v1/runs/${runId}`).set(stack.as('viewer'));
      expect(view.body.events.find((e: { type: string }) => e.type === 'fault.armed').data.applyArgv).toEqual([APPLY]);
      expect(
        (await stack.http.get(`/api/v1/gamedays/${gameDayId}`).set(stack.as('viewer'))).body.spec.experiments[0].fault
          .netem,
      ).toEqual({ delay: '500ms', jitter: '100ms' });
      // the run in progress records the reveal; revealing again keeps the first one
      await stack.http.post(`/api/v1/gamedays/${gameDayId}/reveal`).set(stack.as('operator')).send();
      expect((await prisma.gameDay.findUniqueOrThrow({ where: { id: gameDayId } })).revealedAt).toEqual(row.revealedAt);
      const revealEvents = await prisma.runEvent.findMany({ where: { runId, type: 'gameday.revealed' } });
      expect(revealEvents).toHaveLength(1);
      expect(revealEvents[0].message).toMatch(/revealed to participants by notes-operator-/);
      expect(revealEvents[0].at).toEqual(row.revealedAt);
    });

    it('shows a finished run in full; refuses to reveal an announced GameDay or an unknown one', async () => {
      const blind = await gameDayWithRun('blind', true);
      const report = await stack.http.get(`/api/v1/runs/${blind.runId}/report`).set(stack.as('viewer'));
      expect(report.text).toContain(APPLY.join(' '));
      const announced = await gameDayWithRun('announced', true);
      const res = await stack.http
        .post(`/api/v1/gamedays/${announced.gameDayId}/reveal`)
        .set(stack.as('operator'))
        .send();
      expect(res.status).toBe(409);
      expect(res.body.type).toBe('urn:gameday:problem:not-blind');
      expect(
        (await stack.http.post(`/api/v1/gamedays/${randomUUID()}/reveal`).set(stack.as('operator')).send()).status,
      ).toBe(404);
    });

    it('refuses a dry run of a blind GameDay to viewers before the reveal', async () => {
      const { gameDayId } = await gameDayWithRun('blind', false);
      const res = await stack.http.post(`/api/v1/gamedays/${gameDayId}/dry-run`).set(stack.as('viewer')).send();
      expect(res.status).toBe(403);
      expect(res.body.type).toBe('urn:gameday:problem:blind-hidden');
    });
  });

  it('documents the new endpoints in OpenAPI', async () => {
    const docs = await stack.http.get('/docs/json');
    expect(docs.status).toBe(200);
    const paths = docs.body.paths;
    expect(paths['/api/v1/runs/{id}/report'].get.responses['200'].content).toHaveProperty(['text/html']);
    expect(paths['/api/v1/runs/{id}/report'].get.responses['200'].content).toHaveProperty(['text/markdown']);
    expect(paths['/api/v1/runs/{id}/notes'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/RunNoteCreate',
    );
    expect(paths['/api/v1/runs/{id}/notes/{noteId}'].patch.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/RunNotePatch',
    );
    expect(paths['/api/v1/gamedays/{id}/reveal'].post).toBeDefined();
    expect(paths['/api/v1/gamedays/{id}/dry-run'].post).toBeDefined();
    expect(docs.body.components.schemas.RunNoteCreate.properties.kind.enum).toEqual(['note', 'action_item']);
  });
});

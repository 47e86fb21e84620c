import type { Prisma } from '@gameday/db';
import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, minimalGameDay } from '../../support/harness';
import { bearer, useStack } from '../../support/stack.fixture';

// Real Postgres and Redis; the run is written into the database as the worker would, so the
// stream's pushes (status, events, samples, end) and its blind-mode rule are tested without Docker.
interface SseMessage {
  event: string;
  data: Record<string, unknown> | Record<string, unknown>[];
  /** when the client received it (Date.now()) */
  at: number;
}

/** Reads a text/event-stream with fetch (Authorization header, as the web UI does). */
async function openStream(url: string, token: string) {
  const res = await fetch(url, { headers: { ...bearer(token), Accept: 'text/event-stream' } });
  const messages: SseMessage[] = [];
  let buffer = '';
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const ends = { at: 0 };
  const done = (async () => {
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) {
        ends.at = Date.now();
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) messages.push({ event, data: JSON.parse(data), at: Date.now() });
      }
    }
  })();
  return { res, messages, done, ends, cancel: () => reader.cancel() };
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('live run stream (SSE) and /me (real Postgres + Redis)', () => {
  const stack = useStack({ name: 'stream', api: { listen: true }, users: ['viewer'] });
  const { prisma } = stack;
  const viewer = () => stack.user('viewer').token;

  it('GET /me names the token and its role', async () => {
    const me = await stack.http.get('/api/v1/me').set(stack.as('viewer'));
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ name: expect.stringMatching(/^stream-viewer-/), role: 'viewer' });
    expect((await stack.http.get('/api/v1/me')).status).toBe(401);
  });

  it('refuses a stream without a token and a token in the query string', async () => {
    const run = randomUUID();
    expect((await fetch(`${stack.url}/api/v1/runs/${run}/events/stream`)).status).toBe(401);
    expect((await fetch(`${stack.url}/api/v1/runs/${run}/events/stream?token=${ADMIN_TOKEN}`)).status).toBe(401);
    const missing = await fetch(`${stack.url}/api/v1/runs/${run}/events/stream`, { headers: stack.admin });
    expect(missing.status).toBe(404);
  });

  it('pushes status changes, events and samples as they are written, hides a blind fault, ends with the run', async () => {
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `stream-${randomUUID()}`, mode: 'blind' }));
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    const T0 = Date.now();
    const run = await prisma.run.create({
      data: {
        gameDayId: gameDay.id,
        scheduledFor: new Date(T0),
        trigger: 'manual',
        status: 'baseline',
        spec: gameDay.spec as Prisma.InputJsonValue,
        gameDayVersion: gameDay.version,
        startedAt: new Date(T0),
      },
    });

    const stream = await openStream(`${stack.url}/api/v1/runs/${run.id}/events/stream`, viewer());
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const runs = () => stream.messages.filter((m) => m.event === 'run').map((m) => m.data as Record<string, unknown>);
    await until('the first run message', () => runs().length === 1);
    const first = runs()[0];
    expect(first.status).toBe('baseline');
    // the plan the UI counts down to: 30 s baseline, 2 min fault, 30 s recovery
    expect(first.plan).toMatchObject({ startAt: T0, endAt: T0 + 180_000 });
    // blind: a viewer sees the fault's kind only, like GET /runs/:id
    const spec = first.spec as { experiments: { fault: Record<string, unknown> }[] };
    expect(spec.experiments[0].fault).toEqual({ kind: 'network', hidden: true });

    await prisma.runEvent.create({
      data: {
        runId: run.id,
        type: 'fault.applied',
        experimentIndex: 0,
        at: new Date(),
        message: 'netem delay 500ms on demo-service2-1',
        data: { argv: ['tc', 'qdisc', 'add'] },
      },
    });
    await prisma.run.update({ where: { id: run.id }, data: { status: 'observing' } });
    await prisma.probeSample.createMany({
      data: [1, 2, 3].map((i) => ({
        runId: run.id,
        experimentIndex: 0,
        probe: 'front',
        phase: 'fault',
        at: new Date(T0 + 30_000 + i * 100),
        durationMs: 300 + i,
        ok: false,
        status: 500,
      })),
    });
    await until('the observing status', () => runs().some((r) => r.status === 'observing'));
    await until('the samples', () => stream.messages.some((m) => m.event === 'samples'));
    const observing = runs().find((r) => r.status === 'observing')!;
    const applied = (observing.events as { type: string; message: string; data: unknown }[]).find(
      (e) => e.type === 'fault.applied',
    )!;
    expect(applied.message).toBe('fault details hidden until revealed');
    expect(applied.data).toBeNull();
    const samples = stream.messages.find((m) => m.event === 'samples')!.data as Record<string, unknown>[];
    expect(samples.map((s) => s.durationMs)).toEqual([301, 302, 303]);
    expect(samples[0]).toMatchObject({ probe: 'front', phase: 'fault', ok: false, status: 500, at: T0 + 30_100 });

    // a reveal mid-run reaches the open stream
    expect((await stack.http.post(`/api/v1/gamedays/${gameDay.id}/reveal`).set(stack.admin)).status).toBe(200);
    await until('the reveal', () => {
      const last = runs()[runs().length - 1];
      return (last.spec as typeof spec).experiments[0].fault.hidden === undefined;
    });

    await prisma.run.update({
      where: { id: run.id },
      data: { status: 'completed', finishedAt: new Date(), verdict: 'hypothesis_held' },
    });
    await until('the end of the stream', () => stream.messages.some((m) => m.event === 'end'));
    await stream.done;
    expect(runs()[runs().length - 1]).toMatchObject({ status: 'completed', verdict: 'hypothesis_held' });
    // nothing is sent twice: one samples message for the three samples
    expect(stream.messages.filter((m) => m.event === 'samples')).toHaveLength(1);
  });

  /** A run in baseline, written as the worker would, for a stream to follow. */
  async function liveRun() {
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `stream-${randomUUID()}` }));
    stack.gameDayIds.push(created.body.id);
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    return prisma.run.create({
      data: {
        gameDayId: gameDay.id,
        scheduledFor: new Date(),
        trigger: 'manual',
        status: 'baseline',
        spec: gameDay.spec as Prisma.InputJsonValue,
        gameDayVersion: gameDay.version,
        startedAt: new Date(),
      },
    });
  }

  it.each([
    ['revoked', async (id: string) => void (await stack.http.delete(`/api/v1/tokens/${id}`).set(stack.admin))],
    [
      'expired',
      (id: string) => prisma.apiToken.update({ where: { id }, data: { expiresAt: new Date() } }).then(() => undefined),
    ],
  ])('an open stream closes within a second or so once its token is %s', async (_how, endToken) => {
    const t = await stack.http
      .post('/api/v1/tokens')
      .set(stack.admin)
      .send({ name: `stream-ended-${randomUUID().slice(0, 8)}`, role: 'viewer' });
    stack.tokenIds.push(t.body.id);
    const run = await liveRun();
    const stream = await openStream(`${stack.url}/api/v1/runs/${run.id}/events/stream`, t.body.token);
    await until('the first run message', () => stream.messages.length > 0);

    await endToken(t.body.id);
    const ended = Date.now();
    // the run keeps moving: samples every 100 ms for 4 s
    for (let i = 0; i < 40; i++) {
      await prisma.probeSample.create({
        data: {
          runId: run.id,
          experimentIndex: 0,
          probe: 'front',
          phase: 'baseline',
          at: new Date(),
          durationMs: 20 + i,
          ok: true,
          status: 200,
        },
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    const closedAfter = stream.ends.at === 0 ? null : stream.ends.at - ended;
    // a stream still open fails the test below; cancel it so it does not outlive the test
    if (closedAfter === null) await stream.cancel();
    const late = stream.messages.filter((m) => m.event !== 'error' && m.at > ended + 1_500);
    console.log(
      `stream (${_how}) closed ${closedAfter === null ? 'never' : `${closedAfter} ms`} after the token ended; ${late.length} messages more than 1.5 s later`,
    );
    expect(late).toEqual([]);
    expect(closedAfter).not.toBeNull();
    expect(closedAfter).toBeLessThan(2_500);
    expect(stream.messages[stream.messages.length - 1]).toMatchObject({
      event: 'error',
      data: { detail: expect.stringMatching(/token .*(revoked|expired)/) },
    });
  });

  // last: it shuts the API down
  it('ends open streams when the API shuts down, so the server can close', async () => {
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(minimalGameDay(new Date(Date.now() + 3600_000), { name: `stream-${randomUUID()}` }));
    stack.gameDayIds.push(created.body.id);
    const gameDay = await prisma.gameDay.findUniqueOrThrow({ where: { id: created.body.id } });
    const run = await prisma.run.create({
      data: {
        gameDayId: gameDay.id,
        scheduledFor: new Date(),
        trigger: 'manual',
        status: 'baseline',
        spec: gameDay.spec as Prisma.InputJsonValue,
        gameDayVersion: gameDay.version,
      },
    });
    const stream = await openStream(`${stack.url}/api/v1/runs/${run.id}/events/stream`, viewer());
    await until('the first run message', () => stream.messages.length > 0);
    const started = Date.now();
    await stack.closeApi();
    await stream.done;
    console.log(`API closed ${Date.now() - started} ms after close() with a stream open`);
    expect(Date.now() - started).toBeLessThan(10_000);
    // ended by the shutdown, not by a failed poll after the database was gone
    expect(stream.messages.map((m) => m.event)).toEqual(['run']);
  }, 30_000);
});

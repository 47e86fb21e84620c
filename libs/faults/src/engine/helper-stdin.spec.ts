import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { HelperStdinStreams } from './helper-stdin';

/** A Docker whose attach answers with the stream given (or never, or an error). */
function dockerAttaching(answer: () => Promise<PassThrough>) {
  const asked: { id: string; opts: unknown }[] = [];
  const docker = {
    getContainer: (id: string) => ({
      attach: (opts: unknown) => (asked.push({ id, opts }), answer()),
    }),
  } as unknown as Docker;
  return { docker, asked };
}

describe('HelperStdinStreams: the way in for the abort line', () => {
  it('attaches to stdin only (hijacked) and writes lines to the stream it holds', async () => {
    const stream = new PassThrough();
    const { docker, asked } = dockerAttaching(async () => stream);
    const streams = new HelperStdinStreams(docker);
    expect(await streams.attach('h1')).toBe(true);
    expect(asked).toEqual([
      { id: 'h1', opts: { stream: true, stdin: true, stdout: false, stderr: false, hijack: true } },
    ]);
    const written: string[] = [];
    stream.on('data', (c: Buffer) => written.push(c.toString()));
    expect(streams.has('h1')).toBe(true);
    expect(streams.write('h1', 'abort 0123456789abcdef abort\n')).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(written.join('')).toBe('abort 0123456789abcdef abort\n');
    // a helper this process did not start: nothing to write to (the caller signals instead)
    expect(streams.write('h2', 'x\n')).toBe(false);
  });

  it('forgets a stream that broke or ended, and one it was told to close', async () => {
    const streams = new HelperStdinStreams(dockerAttaching(async () => new PassThrough()).docker);
    await streams.attach('a');
    await streams.attach('b');
    expect(streams.size).toBe(2);
    streams.close('a');
    expect(streams.has('a')).toBe(false);
    expect(streams.write('a', 'x\n')).toBe(false);
    const broken = new PassThrough();
    const s2 = new HelperStdinStreams(dockerAttaching(async () => broken).docker);
    await s2.attach('c');
    broken.destroy(new Error('connection reset'));
    await new Promise((r) => setImmediate(r));
    expect(s2.has('c')).toBe(false);
    expect(s2.size).toBe(0);
    streams.closeAll();
    expect(streams.size).toBe(0);
  });

  it('an attach that fails or does not answer in time leaves only the signal path', async () => {
    const failing = new HelperStdinStreams(
      dockerAttaching(() => Promise.reject(new Error('no such container'))).docker,
    );
    expect(await failing.attach('x')).toBe(false);
    const late = new PassThrough();
    let release!: () => void;
    const slow = new HelperStdinStreams(
      dockerAttaching(() => new Promise<PassThrough>((res) => (release = () => res(late)))).docker,
    );
    expect(await slow.attach('y', 20)).toBe(false);
    expect(slow.has('y')).toBe(false);
    release();
    await new Promise((r) => setImmediate(r));
    // the stream that came too late belongs to nobody: it is closed, not left open
    expect(late.destroyed).toBe(true);
  });

  it('carries the plan’s heartbeat now and every interval until the stream is closed or breaks', async () => {
    jest.useFakeTimers();
    try {
      const a = new PassThrough();
      const b = new PassThrough();
      const answers = [a, b];
      const streams = new HelperStdinStreams(dockerAttaching(async () => answers.shift()!).docker, 1_000);
      await streams.attach('a');
      await streams.attach('b');
      const lines = (s: PassThrough) => {
        const out: string[] = [];
        s.on('data', (c: Buffer) => out.push(...c.toString().split('\n').filter(Boolean)));
        return out;
      };
      const onA = lines(a);
      const onB = lines(b);
      expect(streams.beat('a', '0123456789abcdef')).toBe(true);
      expect(streams.beat('b', 'fedcba9876543210')).toBe(true);
      // a helper this process holds no stream of cannot be told it is driven
      expect(streams.beat('c', '0123456789abcdef')).toBe(false);
      jest.advanceTimersByTime(2_500);
      await Promise.resolve();
      expect(onA).toEqual(Array(3).fill('beat 0123456789abcdef'));
      expect(onB).toEqual(Array(3).fill('beat fedcba9876543210'));
      streams.close('a');
      b.destroy(new Error('connection reset'));
      jest.advanceTimersByTime(3_000);
      expect(onA).toHaveLength(3);
      expect(onB).toHaveLength(3);
      // nothing left to beat: no timer keeps running
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { beatLine } from './helper-protocol';

/** How often a held stream carries its plan's heartbeat (the timeout the helper checks is longer). */
export const BEAT_EVERY_MS = 1_000;

/**
 * The stdin of each helper this process started, held open (a Docker attach, hijacked) from its
 * creation until it is removed or the driver closes. A line written here reaches the helper's
 * reader in milliseconds with no Docker API request on the way: the fast path of an abort. Only
 * the process that armed a helper holds its stream; any other (a worker that took over after a
 * crash) finds none here and signals the helper through the Docker API instead.
 */
export class HelperStdinStreams {
  private readonly streams = new Map<string, Duplex>();
  /** helper id → the nonce of the plan whose heartbeat its stream carries */
  private readonly beats = new Map<string, string>();
  private beatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly beatEveryMs = BEAT_EVERY_MS,
  ) {}

  /**
   * Attaches to the helper's stdin (the helper is created with OpenStdin, StdinOnce false: a stream
   * that ends does not close the helper's stdin, and the helper's clock never depends on it). A
   * failed attach only leaves the signal path: it is not an arming failure.
   */
  async attach(helperId: string, timeoutMs = 5_000): Promise<boolean> {
    const attaching = this.docker
      .getContainer(helperId)
      .attach({ stream: true, stdin: true, stdout: false, stderr: false, hijack: true }) as Promise<Duplex>;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
    });
    try {
      const stream = await Promise.race([attaching, late]);
      clearTimeout(timer);
      if (!stream) {
        // an engine that answers later: that stream is nobody's
        void attaching.then((s) => s.destroy()).catch(() => undefined);
        return false;
      }
      // a held stream must not keep the worker process alive on its own
      (stream as Duplex & { unref?: () => void }).unref?.();
      const forget = () => {
        if (this.streams.get(helperId) === stream) this.streams.delete(helperId);
      };
      stream.on('error', forget);
      stream.on('close', forget);
      stream.on('end', forget);
      // nothing is expected from the helper on this stream; reading keeps 'end' observable
      stream.resume();
      this.streams.get(helperId)?.destroy();
      this.streams.set(helperId, stream);
      return true;
    } catch {
      clearTimeout(timer);
      return false;
    }
  }

  has(helperId: string): boolean {
    const s = this.streams.get(helperId);
    return !!s && s.writable && !s.destroyed;
  }

  /** Writes the line if this process holds a live stream to the helper; false otherwise. */
  write(helperId: string, line: string): boolean {
    const s = this.streams.get(helperId);
    if (!s || !s.writable || s.destroyed) return false;
    try {
      s.write(line);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * From now until the stream ends, writes `beat <nonce>` every beatEveryMs (and once now): the
   * helper begins a plan handed over with a heartbeat timeout only while this process lives and
   * holds the stream. False when it holds none.
   */
  beat(helperId: string, nonce: string): boolean {
    if (!this.write(helperId, beatLine(nonce))) return false;
    this.beats.set(helperId, nonce);
    if (!this.beatTimer) {
      this.beatTimer = setInterval(() => this.beatAll(), this.beatEveryMs);
      // the heartbeat must not keep the worker process alive on its own
      this.beatTimer.unref();
    }
    return true;
  }

  private beatAll(): void {
    for (const [id, nonce] of this.beats) if (!this.write(id, beatLine(nonce))) this.beats.delete(id);
    if (this.beats.size === 0) this.stopBeats();
  }

  private stopBeats(): void {
    clearInterval(this.beatTimer);
    this.beatTimer = undefined;
  }

  close(helperId: string): void {
    const s = this.streams.get(helperId);
    this.streams.delete(helperId);
    this.beats.delete(helperId);
    if (this.beats.size === 0) this.stopBeats();
    s?.destroy();
  }

  closeAll(): void {
    for (const id of [...this.streams.keys()]) this.close(id);
  }

  get size(): number {
    return this.streams.size;
  }
}

import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';

/**
 * The stdin of each helper this process started, held open (a Docker attach, hijacked) from its
 * creation until it is removed or the driver closes. A line written here reaches the helper's
 * reader in milliseconds with no Docker API request on the way: the fast path of an abort. Only
 * the process that armed a helper holds its stream; any other (a worker that took over after a
 * crash) finds none here and signals the helper through the Docker API instead.
 */
export class HelperStdinStreams {
  private readonly streams = new Map<string, Duplex>();

  constructor(private readonly docker: Docker) {}

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

  close(helperId: string): void {
    const s = this.streams.get(helperId);
    this.streams.delete(helperId);
    s?.destroy();
  }

  closeAll(): void {
    for (const id of [...this.streams.keys()]) this.close(id);
  }

  get size(): number {
    return this.streams.size;
  }
}

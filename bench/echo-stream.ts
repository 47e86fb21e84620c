// The fault seen from outside: small messages over one TCP connection to an echo in the target's
// network namespace, one every millisecond around T0. netem on the target's egress holds the
// echoes (a blackhole drops them): the first message whose echo comes back late (or not at all) was
// answered just after the fault went in.
// Only injection is measured this way: at removal netem drops what it holds, and TCP then delivers
// everything after the loss only once it is retransmitted, which says nothing about the instant.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { quantile } from '../tools/lab/stats';

/** bytes per message: its sequence number in zero-padded decimal (the echo may coalesce them) */
const RECORD = 8;

export interface Echo {
  /** epoch ms, sub-millisecond */
  sentAt: number;
  /** null: no echo within the window's settle time */
  rttMs: number | null;
}

const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export class EchoStream {
  private seq = 0;
  private readonly sent = new Map<number, number>();
  private readonly back = new Map<number, number>();
  private pending = '';

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.received(d));
  }

  /** Connects, again while the echo is still starting (refused), until `timeoutMs`. */
  static async open(host: string, port: number, timeoutMs = 20_000): Promise<EchoStream> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return new EchoStream(await connect(host, port, Math.max(1, deadline - Date.now())));
      } catch (e) {
        if (Date.now() >= deadline) throw new Error(`echo at ${host}:${port}: ${(e as Error).message}`, { cause: e });
        await sleep(200);
      }
    }
  }

  /** Checks the echo answers at all before any measurement relies on it. */
  async ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const echoes = await this.window(Date.now(), Date.now() + 20, 5, 500);
      if (echoes.some((e) => e.rttMs !== null)) return;
    }
    throw new Error(`the echo stream got no answer within ${timeoutMs} ms`);
  }

  /**
   * Sends a message every `intervalMs` from `from` to `to` (epoch ms); resolves `settleMs` after
   * the last with each message's send time and round trip.
   */
  async window(from: number, to: number, intervalMs: number, settleMs: number): Promise<Echo[]> {
    await sleep(from - Date.now());
    const first = this.seq;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (nowMs() >= to) {
          clearInterval(timer);
          resolve();
          return;
        }
        const seq = this.seq++;
        this.sent.set(seq, nowMs());
        this.socket.write(String(seq).padStart(RECORD, '0'));
      }, intervalMs);
    });
    await sleep(settleMs);
    const echoes: Echo[] = [];
    for (let s = first; s < this.seq; s++) {
      const sentAt = this.sent.get(s)!;
      const back = this.back.get(s);
      echoes.push({ sentAt, rttMs: back === undefined ? null : back - sentAt });
      this.sent.delete(s);
      this.back.delete(s);
    }
    return echoes;
  }

  close(): void {
    this.socket.destroy();
  }

  private received(d: Buffer): void {
    const at = nowMs();
    this.pending += d.toString('latin1');
    while (this.pending.length >= RECORD) {
      this.back.set(Number(this.pending.slice(0, RECORD)), at);
      this.pending = this.pending.slice(RECORD);
    }
  }
}

/**
 * When the fault went in, seen from outside: the send time of the first message whose round trip
 * exceeds the median of those sent before `before` by `thresholdMs`, plus half that median (its
 * way to the target). Null when the stream has no baseline or never saw the fault. `lost: 'held'`
 * (a fault that drops: a blackhole) also counts a message sent from `before` on that got no echo
 * at all: over one TCP connection every later one waits behind it.
 */
export function faultSeenAt(
  echoes: readonly Echo[],
  before: number,
  thresholdMs: number,
  lost: 'ignore' | 'held' = 'ignore',
): number | null {
  const baseline = echoes.filter((e) => e.sentAt < before && e.rttMs !== null).map((e) => e.rttMs!);
  if (baseline.length === 0) return null;
  const median = quantile(baseline, 0.5);
  const held = (e: Echo) =>
    e.rttMs === null ? lost === 'held' && e.sentAt >= before : e.rttMs >= median + thresholdMs;
  const first = echoes.find(held);
  return first ? first.sentAt + median / 2 : null;
}

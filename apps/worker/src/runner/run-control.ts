import type { Clock } from '@gameday/core';
import { FencedError } from '@gameday/db';
/** Why a run stops early. */
type ControlState = { abort: { at: Date; reason: string } | null; executorEpoch: number };

export interface AbortCause {
  trigger: 'guardrail' | 'operator' | 'verification' | 'gate';
  reason: string;
  /** when the cause happened (breach sample, abort request): abort latency is measured from here */
  at: number;
}

export class RunAbortedError extends Error {
  constructor(readonly detail: AbortCause) {
    super(detail.reason);
    this.name = 'RunAbortedError';
  }
}

/**
 * The abort switch of one run: guardrails flip it in-process, an operator's emergency stop flips
 * it through Postgres (polled), and every wait of the run wakes up at once when it flips.
 */
export class RunControl {
  private readonly controller = new AbortController();
  private poller: NodeJS.Timeout | undefined;
  private cause: AbortCause | undefined;

  private fenced: FencedError | undefined;
  private held: { runId: string; epoch: number } | undefined;

  constructor(
    private readonly poll: () => Promise<ControlState | null>,
    /** the planned instants it sleeps until are wall time */
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** The fencing token this executor holds: a newer one in Postgres means another executor took over. */
  hold(runId: string, epoch: number): void {
    this.held = { runId, epoch };
  }

  /** The run was taken by another executor: every wait ends at once with FencedError. */
  get lost(): FencedError | undefined {
    return this.fenced;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): AbortCause | undefined {
    return this.cause;
  }

  abort(cause: AbortCause): void {
    if (this.cause || this.fenced) return;
    this.cause = cause;
    this.controller.abort(new RunAbortedError(cause));
  }

  /**
   * Polls Postgres for an operator's abort (the fault queue has already reverted by then, this
   * only ends the run) and for a newer fencing token (another executor took the run).
   */
  watch(intervalMs = 250): void {
    const tick = async () => {
      try {
        this.take(await this.poll());
      } catch {
        // a failed poll is retried on the next tick
      }
      if (!this.cause && !this.fenced) this.poller = setTimeout(tick, intervalMs);
    };
    this.poller = setTimeout(tick, 0);
  }

  /**
   * One look at Postgres now, for a run about to end on an error: an operator's abort is reverted
   * at once by the control queue, which then removes the helpers, and a step confirming its apply
   * right then failed on its missing helper before the next poll saw the abort (the run ended
   * `failed`, not `aborted`). Bounded, and quiet: Postgres may be what failed, and the faults
   * without a clock of their own wait on this. Returns the abort.
   */
  async recheck(timeoutMs = 500): Promise<AbortCause | undefined> {
    if (this.cause || this.fenced) return this.cause;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    this.take(await Promise.race([this.poll(), timeout]).catch(() => null));
    clearTimeout(timer);
    return this.cause;
  }

  stop(): void {
    clearTimeout(this.poller);
  }

  throwIfAborted(): void {
    if (this.fenced) throw this.fenced;
    if (this.cause) throw new RunAbortedError(this.cause);
  }

  private take(state: ControlState | null): void {
    if (state && this.held && state.executorEpoch !== this.held.epoch) this.lose();
    else if (state?.abort)
      this.abort({ trigger: 'operator', reason: state.abort.reason, at: state.abort.at.getTime() });
  }

  private lose(): void {
    if (this.fenced || !this.held) return;
    this.fenced = new FencedError(this.held.runId, this.held.epoch);
    this.controller.abort(this.fenced);
  }

  /**
   * Resolves once the clock reads `at` (epoch ms) or rejects with RunAbortedError as soon as the
   * run is aborted. A timer may fire a millisecond or more before the wall clock gets there (it
   * runs on the monotonic clock): it is then set again for what is left, so nothing planned for
   * `at` happens before it.
   */
  sleepUntil(at: number): Promise<void> {
    this.throwIfAborted();
    if (at - this.clock.now().getTime() <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(this.fenced ?? new RunAbortedError(this.cause!));
      };
      const wait = () => {
        const ms = at - this.clock.now().getTime();
        if (ms > 0) {
          timer = setTimeout(wait, ms);
          return;
        }
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
      wait();
    });
  }
}

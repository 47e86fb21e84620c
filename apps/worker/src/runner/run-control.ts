/** Why a run stops early. */
export interface AbortCause {
  trigger: 'guardrail' | 'operator' | 'verification';
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

  constructor(
    private readonly pollAbortRequest: () => Promise<{ at: Date; reason: string } | null>,
    private readonly now: () => number = Date.now,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): AbortCause | undefined {
    return this.cause;
  }

  abort(cause: AbortCause): void {
    if (this.cause) return;
    this.cause = cause;
    this.controller.abort(new RunAbortedError(cause));
  }

  /** Polls for an operator's abort; the fault queue has already reverted by then, this only ends the run. */
  watch(intervalMs = 250): void {
    const tick = async () => {
      try {
        const req = await this.pollAbortRequest();
        if (req) this.abort({ trigger: 'operator', reason: req.reason, at: req.at.getTime() });
      } catch {
        // a failed poll is retried on the next tick
      }
      if (!this.cause) this.poller = setTimeout(tick, intervalMs);
    };
    this.poller = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.poller);
  }

  throwIfAborted(): void {
    if (this.cause) throw new RunAbortedError(this.cause);
  }

  /** Resolves at `at` (epoch ms) or rejects with RunAbortedError as soon as the run is aborted. */
  sleepUntil(at: number, now: () => number = this.now): Promise<void> {
    this.throwIfAborted();
    const ms = at - now();
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(new RunAbortedError(this.cause!));
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

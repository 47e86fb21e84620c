/**
 * The fault engine did not answer (its daemon restarting, its host unreachable): nothing is known
 * about the fault from this, neither that it is in place nor that it is gone. Drivers throw it from
 * verify() and revert() so callers can wait for the engine instead of concluding.
 */
export class EngineUnreachableError extends Error {
  constructor(
    readonly engine: string,
    cause: unknown,
  ) {
    super(`the engine ${engine} did not answer: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'EngineUnreachableError';
  }
}

import type { LoggerService } from '@nestjs/common';

type Kind = 'exception' | 'rejection';

/**
 * The worker's last resort, installed once the application is up (main.ts): an error that escaped
 * every handler is logged at error level and counted (gameday_uncaught_errors_total), and the
 * process goes on. The worker is what removes the faults of every other run in flight (a paused
 * container has no clock of its own in the target), so one bad request must not end it. Before
 * the application is up nothing is installed: a configuration or connection error at start-up
 * still stops the process with a non-zero exit, as it should.
 * Returns a function that removes the handlers.
 */
export function installLastResortHandler(
  target: Pick<NodeJS.Process, 'on' | 'off'>,
  logger: Pick<LoggerService, 'error'>,
  counter: { inc(labels: { kind: Kind }): void },
): () => void {
  const record = (kind: Kind, reason: unknown) => {
    const error = reason instanceof Error ? reason : new Error(`non-Error value: ${String(reason)}`);
    try {
      counter.inc({ kind });
      logger.error(
        `an uncaught ${kind} escaped every handler; the worker goes on: ${error.name}: ${error.message}`,
        error.stack,
      );
    } catch {
      // the logger itself failed: nothing left to tell, and still no reason to stop
    }
  };
  const onException = (error: unknown) => record('exception', error);
  const onRejection = (reason: unknown) => record('rejection', reason);
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}

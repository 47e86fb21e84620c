import { EXIT } from './exit-codes';
import { formatProblem, type Problem } from './problem-format';

/** An error the CLI reports as one readable message and an exit code (never a stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.invalid,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The API answered with an error status; `problem` is its RFC 9457 body when it sent one. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    // 400 and 422 are the caller's input: the same class of error as a bad argument
    super(formatProblem(problem, status), status === 400 || status === 422 ? EXIT.invalid : EXIT.api);
    this.name = 'ApiError';
  }
}

export class NetworkError extends CliError {
  constructor(message: string) {
    super(message, EXIT.network);
    this.name = 'NetworkError';
  }
}

import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isConnectionLoss } from '@gameday/db';
import { PROBLEM_TYPES, type ProblemBody } from './problem';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** Turns every error into an RFC 9457 application/problem+json response. */
export function toProblem(exception: unknown, instance: string): ProblemBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'type' in response && 'title' in response) {
      return { ...(response as ProblemBody), status, instance };
    }
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const detail = Array.isArray(message)
      ? message.join('; ')
      : typeof message === 'string'
        ? message
        : exception.message;
    return { type: 'about:blank', title: titleFor(status), status, detail, instance };
  }
  if (isConnectionLoss(exception)) {
    // not a defect: Postgres is restarting or unreachable; the same request will work again
    return {
      type: PROBLEM_TYPES.unavailable,
      title: titleFor(503),
      status: 503,
      detail: 'the database (Postgres) is unreachable; retry shortly',
      instance,
      retryAfterSeconds: 5,
    };
  }
  return {
    type: 'about:blank',
    title: titleFor(500),
    status: 500,
    detail: 'unexpected error; see the server log',
    instance,
  };
}

export function sendProblem(res: Response, problem: ProblemBody): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const problem = toProblem(exception, req.originalUrl ?? req.url);
    if (problem.status === HttpStatus.SERVICE_UNAVAILABLE && !(exception instanceof HttpException))
      this.logger.warn(`database unreachable: ${exception instanceof Error ? exception.message : String(exception)}`);
    else if (problem.status >= HttpStatus.INTERNAL_SERVER_ERROR)
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    if (res.headersSent) return;
    if (typeof problem.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(problem.retryAfterSeconds));
    sendProblem(res, problem);
  }
}

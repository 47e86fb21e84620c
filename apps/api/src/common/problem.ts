import { HttpException } from '@nestjs/common';
import type { FieldError } from '@gameday/core';

/** RFC 9457 problem types of this API; anything else is "about:blank" with the HTTP title. */
export const PROBLEM_TYPES = Object.freeze({
  validation: 'urn:gameday:problem:validation',
  calendar: 'urn:gameday:problem:calendar-conflict',
  activeRun: 'urn:gameday:problem:run-active',
  runEnded: 'urn:gameday:problem:run-ended',
  notActive: 'urn:gameday:problem:gameday-not-active',
  unavailable: 'urn:gameday:problem:dependency-unavailable',
  notBlind: 'urn:gameday:problem:not-blind',
  blindHidden: 'urn:gameday:problem:blind-hidden',
  workerTimeout: 'urn:gameday:problem:worker-timeout',
  workerFailed: 'urn:gameday:problem:worker-failed',
  rateLimited: 'urn:gameday:problem:rate-limited',
  safetyLever: 'urn:gameday:problem:safety-lever-engaged',
  adminOnly: 'urn:gameday:problem:admin-only-option',
});

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** An HttpException whose response is already a problem document (instance is filled in later). */
export class ProblemException extends HttpException {
  constructor(problem: Omit<ProblemBody, 'instance'>) {
    super(problem, problem.status as number);
  }
}

export function validationProblem(errors: FieldError[], detail?: string): ProblemException {
  return new ProblemException({
    type: PROBLEM_TYPES.validation,
    title: 'Invalid request',
    status: 400,
    detail:
      detail ??
      `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.field || '(body)').join(', ')}`,
    errors,
  });
}

import { ANSWERED, LOST } from '../../../../test/support/connection-loss-shapes';
import { toProblem } from './problem.filter';

describe('toProblem: Postgres unreachable', () => {
  it.each(LOST)('%s → 503 with Retry-After', (_label, error) => {
    expect(toProblem(error, '/api/v1/x')).toMatchObject({ status: 503, retryAfterSeconds: 5 });
  });

  it.each(ANSWERED)('%s → 500', (_label, error) => {
    expect(toProblem(error, '/api/v1/x')).toMatchObject({ status: 500 });
  });
});

import { ANSWERED, LOST } from '../../../test/support/connection-loss-shapes';
import { isConnectionLoss } from './connection-loss';

describe('isConnectionLoss', () => {
  it.each(LOST)('%s: Postgres went away', (_label, error) => {
    expect(isConnectionLoss(error)).toBe(true);
  });

  it.each(ANSWERED)('%s: Postgres answered', (_label, error) => {
    expect(isConnectionLoss(error)).toBe(false);
  });
});

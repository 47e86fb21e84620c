import { isDatabaseUnavailable } from './database-unavailable';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['Prisma P1001 (cannot reach the server)', { name: 'PrismaClientKnownRequestError', code: 'P1001' }, true],
    [
      'a raw query whose adapter could not connect',
      {
        code: 'P2010',
        meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable' } } },
      },
      true,
    ],
    ['a socket refused deep in the cause chain', { message: 'x', cause: { cause: { code: 'ECONNREFUSED' } } }, true],
    ['Postgres shutting down (57P01)', { cause: { originalCode: '57P01' } }, true],
    ['client initialisation', { name: 'PrismaClientInitializationError' }, true],
    ['a unique violation', { name: 'PrismaClientKnownRequestError', code: 'P2002' }, false],
    ['a plain bug', new TypeError('x is undefined'), false],
    ['nothing', undefined, false],
  ])('%s → %s', (_label, error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });
});

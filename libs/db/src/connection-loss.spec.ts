import { isConnectionLoss } from './connection-loss';

describe('isConnectionLoss', () => {
  it('is true for the shapes Postgres going away takes through Prisma and node-postgres', () => {
    // measured: a pooled connection cut under a query, then a new connection refused
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isConnectionLoss(
        Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), {
          code: 'P1001',
          meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable' } } },
        }),
      ),
    ).toBe(true);
    // a server shutting down (fast mode) or still starting up
    const serverSays = (code: string) =>
      Object.assign(new Error('server error'), { meta: { driverAdapterError: { cause: { kind: 'postgres', code } } } });
    expect(isConnectionLoss(serverSays('57P01'))).toBe(true);
    expect(isConnectionLoss(serverSays('57P03'))).toBe(true);
    expect(isConnectionLoss(serverSays('08006'))).toBe(true);
    expect(isConnectionLoss(new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }))).toBe(
      true,
    );
  });

  it('is false when Postgres answered and refused the statement', () => {
    const refused = (kind: string, code?: string) =>
      Object.assign(new Error('refused'), { code: 'P2002', meta: { driverAdapterError: { cause: { kind, code } } } });
    expect(isConnectionLoss(refused('UniqueConstraintViolation'))).toBe(false);
    expect(isConnectionLoss(refused('postgres', '22P05'))).toBe(false);
    expect(isConnectionLoss(new Error('no run 123'))).toBe(false);
    expect(isConnectionLoss(undefined)).toBe(false);
  });
});

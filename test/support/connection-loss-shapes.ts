/**
 * Errors as Prisma 7 (adapter-pg) and node-postgres really raise them, recorded from a client
 * pointed at a closed port, a backend terminated under a query, and a duplicate insert (messages
 * shortened). Shared by the classifier's spec and the API's 503 spec, so both callers are held to
 * the same shapes.
 */
const prismaError = (code: string, message: string, meta: Record<string, unknown>) =>
  Object.assign(new Error(message), { name: 'PrismaClientKnownRequestError', code, clientVersion: '7.10.0', meta });

export const LOST: [string, unknown][] = [
  [
    'Prisma model query, server not reachable (P1001)',
    prismaError('P1001', "Invalid `p.apiToken.findFirst()` invocation: Can't reach database server", {
      modelName: 'ApiToken',
      driverAdapterError: {
        name: 'DriverAdapterError',
        cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 },
      },
    }),
  ],
  [
    'Prisma raw query, server not reachable (P2010)',
    prismaError('P2010', 'Invalid `prisma.$queryRaw()` invocation:', {
      driverAdapterError: {
        name: 'DriverAdapterError',
        cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 },
      },
    }),
  ],
  [
    'backend terminated by an admin or a shutdown (57P01)',
    prismaError('P2010', 'Invalid `prisma.$executeRawUnsafe()` invocation:', {
      driverAdapterError: {
        name: 'DriverAdapterError',
        cause: {
          originalCode: '57P01',
          originalMessage: 'terminating connection due to administrator command',
          kind: 'postgres',
          code: '57P01',
          severity: 'FATAL',
          message: 'terminating connection due to administrator command',
        },
      },
    }),
  ],
  [
    'server still starting up (57P03)',
    prismaError('P2010', 'Invalid invocation:', {
      driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '57P03' } },
    }),
  ],
  [
    'connection exception class 08',
    prismaError('P2010', 'Invalid invocation:', {
      driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '08006' } },
    }),
  ],
  ['pg: a pooled connection cut under a query', new Error('Connection terminated unexpectedly')],
  [
    'pg: connect refused',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      errno: -111,
      code: 'ECONNREFUSED',
      syscall: 'connect',
      address: '127.0.0.1',
      port: 1,
    }),
  ],
  ['pool exhausted (P2024)', prismaError('P2024', 'Timed out fetching a new connection from the connection pool', {})],
  ['client initialisation', Object.assign(new Error('Can not connect'), { name: 'PrismaClientInitializationError' })],
  ['a cut wrapped by our own error', new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') })],
];

export const ANSWERED: [string, unknown][] = [
  [
    'unique violation (P2002, 23505)',
    prismaError('P2002', 'Unique constraint failed', {
      driverAdapterError: {
        name: 'DriverAdapterError',
        cause: {
          originalCode: '23505',
          kind: 'UniqueConstraintViolation',
          constraint: { index: 'ApiToken_tokenHash_key' },
          table: 'ApiToken',
        },
      },
      modelName: 'ApiToken',
    }),
  ],
  [
    'bad statement (22P05)',
    prismaError('P2010', 'Invalid invocation:', {
      driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '22P05' } },
    }),
  ],
  ['a plain bug', new TypeError('x is undefined')],
  ['no run', new Error('no run 123')],
  ['nothing', undefined],
];

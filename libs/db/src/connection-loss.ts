/**
 * Whether an error says Postgres could not be reached or dropped the connection (a restart, a
 * failover, a network cut), as opposed to refusing the statement. Shapes measured with Prisma 7
 * over node-postgres: a pooled connection that died gives pg's own "Connection terminated
 * unexpectedly"; a new one that cannot be made gives P1001 with a DatabaseNotReachable adapter
 * error; a server going down or starting up answers SQLSTATE 57P01-57P03 (class 08 is the
 * connection exceptions).
 */
const LOST_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017']);
const LOST_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);
const LOST_MESSAGE =
  /Connection terminated|Can't reach database server|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)/i;

const lostSqlState = (code: unknown) =>
  typeof code === 'string' && (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code));

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown; originalCode?: unknown } } };
}

export function isConnectionLoss(err: unknown): boolean {
  for (let e = err as ErrorLike | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && (LOST_PRISMA_CODES.has(e.code) || lostSqlState(e.code))) return true;
    const adapter = e.meta?.driverAdapterError?.cause;
    if (adapter && typeof adapter.kind === 'string' && LOST_ADAPTER_KINDS.has(adapter.kind)) return true;
    if (adapter?.kind === 'postgres' && (lostSqlState(adapter.code) || lostSqlState(adapter.originalCode))) return true;
    if (typeof e.message === 'string' && LOST_MESSAGE.test(e.message)) return true;
    e = e.cause as ErrorLike | undefined;
  }
  return false;
}

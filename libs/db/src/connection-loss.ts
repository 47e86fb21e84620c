/**
 * Whether an error says Postgres could not be reached or dropped the connection (a restart, a
 * failover, a network cut, a full pool), as opposed to answering and refusing the statement. The
 * one decision behind both the API's 503 (retry shortly) and the worker's "resume the run once
 * Postgres answers". Shapes measured with Prisma 7 over node-postgres (connection-loss.spec.ts):
 * a pooled connection that died gives pg's "Connection terminated unexpectedly"; a new one that
 * cannot be made gives P1001 (P2010 for raw queries) with a DatabaseNotReachable adapter error; a
 * server going down or starting up answers SQLSTATE 57P01-57P03 (class 08 is the connection
 * exceptions); pg alone gives the socket's errno.
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseAccessDenied',
]);
const ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const MESSAGE =
  /Connection terminated|connect ECONNREFUSED|server closed the connection|Can't reach database server|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)/i;

const lostSqlState = (code: unknown) =>
  typeof code === 'string' && (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code));
const lostCode = (code: unknown) => typeof code === 'string' && (ERRNOS.has(code) || lostSqlState(code));

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

/** Walks the cause chain: Prisma wraps the driver adapter's error, which wraps the socket's. */
export function isConnectionLoss(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as ErrorLike;
  if (e.name === 'PrismaClientInitializationError') return true;
  if (typeof e.code === 'string' && (PRISMA_CODES.has(e.code) || lostCode(e.code))) return true;
  if (typeof e.kind === 'string' && ADAPTER_KINDS.has(e.kind)) return true;
  if (lostCode(e.originalCode)) return true;
  if (typeof e.message === 'string' && MESSAGE.test(e.message)) return true;
  return isConnectionLoss(e.meta?.driverAdapterError, depth + 1) || isConnectionLoss(e.cause, depth + 1);
}

/** Prisma error codes that mean "the database cannot be reached or timed out", not a bad query. */
const UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** Driver-adapter error kinds (adapter-pg) for the same. */
const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseAccessDenied',
]);
/** Socket errors and Postgres SQLSTATEs of a server going away (admin shutdown, starting up, crash). */
const UNREACHABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
]);

interface Inspectable {
  name?: unknown;
  code?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  meta?: { driverAdapterError?: unknown };
  cause?: unknown;
  message?: unknown;
}

/**
 * Whether an error means Postgres is unreachable (so the API answers 503 and the client retries)
 * rather than a defect (500). Walks the cause chain: Prisma wraps the driver adapter's error,
 * which wraps the socket's.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 6) return false;
  const e = error as Inspectable;
  if (e.name === 'PrismaClientInitializationError') return true;
  if (typeof e.code === 'string' && (UNREACHABLE_CODES.has(e.code) || UNREACHABLE_ERRNOS.has(e.code))) return true;
  if (typeof e.kind === 'string' && UNREACHABLE_KINDS.has(e.kind)) return true;
  if (typeof e.originalCode === 'string' && UNREACHABLE_ERRNOS.has(e.originalCode)) return true;
  if (
    typeof e.message === 'string' &&
    /Connection terminated|connect ECONNREFUSED|server closed the connection/i.test(e.message)
  )
    return true;
  return isDatabaseUnavailable(e.meta?.driverAdapterError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1);
}

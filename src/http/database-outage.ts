// Database outages: recognising them in whatever shape the driver, the adapter or Prisma reports
// them, answering them as SERVICE_UNAVAILABLE (HTTP 503, Retry-After) instead of an internal
// error, and the /ready check that names the failed dependency without the driver's message.
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { ErrorCode } from '../errors.ts';

/** What Retry-After says while the database is unreachable, in seconds. */
export const RETRY_AFTER_SECONDS = 5;
/** How long /ready waits for the database before calling it down, in milliseconds. */
export const READINESS_TIMEOUT_MS = 2000;

// Socket errors (node), Prisma's connection error codes (P1001 can't reach, P1002 timed out,
// P1008 operation timed out, P1017 server closed the connection, P2024 pool timeout, P2037 too
// many connections), and SQLSTATEs of a server going away: class 08 (connection exception),
// 57P01-57P03 (shutdown, crash, cannot connect now), 53300 (too many connections).
const CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037', '57P01', '57P02', '57P03', '53300']);
// The driver adapter's error kinds (@prisma/driver-adapter-utils) for the same situations.
const KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
// node-postgres reports some of them only in words.
const MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Can't reach database server|Server has closed the connection|Connection ended unexpectedly|the database system is (starting up|shutting down|in recovery mode)/i;

/** Whether err (or anything it wraps) says the database cannot be reached right now. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const { code, kind, message } = e as { code?: unknown; kind?: unknown; message?: unknown };
    if (typeof code === 'string' && (CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof kind === 'string' && KINDS.has(kind)) return true;
    if (kind === 'postgres' && typeof code === 'string' && code.startsWith('08')) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    const o = e as { cause?: unknown; originalError?: unknown; errors?: unknown; meta?: unknown };
    queue.push(o.cause, o.originalError, o.meta);
    if (Array.isArray(o.errors)) queue.push(...o.errors);
    const meta = o.meta as { driverAdapterError?: unknown } | undefined;
    if (meta && typeof meta === 'object') queue.push(meta.driverAdapterError);
  }
  return false;
}

/** The error a request gets while the database is unreachable: HTTP 503 with Retry-After. */
export function serviceUnavailable(path?: readonly (string | number)[]) {
  return new GraphQLError('The service is temporarily unavailable; retry later', {
    path,
    extensions: {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
      http: { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
    },
  });
}

/** Resolves true when the database answers `SELECT 1` within timeoutMs, false otherwise. */
export async function databaseUp(db: Database, timeoutMs = READINESS_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([db.query('SELECT 1').then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /ready's check: 200 when every dependency answers; otherwise 503 with Retry-After and a JSON
 * body naming the failed checks, e.g. {"status":"unavailable","failed":["database"]}. The
 * driver's message (addresses, ports) is logged, never shown.
 */
export function readinessCheck(db: Database, log: Logger) {
  return async () => {
    if (await databaseUp(db)) return true;
    log.warn({ check: 'database' }, 'readiness check failed: database unreachable');
    return new Response(JSON.stringify({ status: 'unavailable', failed: ['database'] }), {
      status: 503,
      headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(RETRY_AFTER_SECONDS) },
    });
  };
}

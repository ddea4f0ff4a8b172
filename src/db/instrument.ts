// Counts the SQL statements Prisma sends through a driver adapter, per request when asked.
// Tests and benchmarks use it to prove that round trips depend on a query's shape, not its rows.
// With tracing on, each statement sent inside a traced request is also a span (CLIENT, named by
// its verb, the text with $n placeholders: never the values).
import { AsyncLocalStorage } from 'node:async_hooks';
import { SpanKind, trace } from '@opentelemetry/api';
import { inSpan, TRACER_NAME } from '../observability/spans.ts';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery } from '@prisma/driver-adapter-utils';

export interface SqlCounter {
  statements: number;
  log?: string[];
  /** The counter this one runs inside: a statement counts for every enclosing counter. */
  parent?: SqlCounter;
}

const scope = new AsyncLocalStorage<SqlCounter>();
export const sqlTotals: SqlCounter = { statements: 0 };

/** Runs fn with a fresh counter that every statement issued inside it increments. */
export async function countSql<T>(fn: () => Promise<T>, keepLog = false): Promise<{ result: T; counter: SqlCounter }> {
  const counter: SqlCounter = keepLog ? { statements: 0, log: [] } : { statements: 0 };
  const result = await withSqlCounter(counter, fn);
  return { result, counter };
}

/** Runs fn with counter (nested inside any counter already running: both count). */
export function withSqlCounter<T>(counter: SqlCounter, fn: () => T): T {
  counter.parent = scope.getStore();
  return scope.run(counter, fn);
}

/**
 * Runs fn outside every counter (the process total still counts): work a request schedules but
 * does not wait for (activity timestamps, cache writes) is not that request's round trips, and
 * would otherwise land in its count only when it happened to finish first.
 */
export function withoutSqlCounter<T>(fn: () => T): T {
  return scope.exit(fn);
}

export function currentSqlCounter() {
  return scope.getStore();
}

/** Counts one statement sent outside Prisma (the fast read path's raw query) like Prisma's own. */
export function countStatement(sql: string) {
  sqlTotals.statements++;
  for (let counter = scope.getStore(); counter; counter = counter.parent) {
    counter.statements++;
    counter.log?.push(sql);
  }
}

/**
 * A span around one statement, only inside a traced request (so: never when tracing is off).
 * `sql` is the text with $n placeholders: values never reach a span. For statements sent outside
 * Prisma too (the fast read path), so every statement a request sends is traced.
 */
export function traced<T>(sql: string, send: () => T): T {
  if (!trace.getActiveSpan()) return send();
  // The span's name is the statement's first keyword, after any leading comment (the fast read
  // path tags its statements `/* fast read path */`).
  const span = trace.getTracer(TRACER_NAME).startSpan(/^\s*(?:\/\*[\s\S]*?\*\/\s*)*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL', {
    kind: SpanKind.CLIENT,
    // Semantic conventions' db.system.name and db.query.text (names inlined: the conventions
    // package is large, and every script loads this module).
    attributes: { 'db.system.name': 'postgresql', 'db.query.text': sql.slice(0, 4000) },
  });
  return inSpan(span, send);
}
const record = (query: SqlQuery) => countStatement(query.sql);

function wrapQueryable<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'queryRaw' || prop === 'executeRaw') {
        return (query: SqlQuery) => {
          record(query);
          return traced(query.sql, () => value.call(obj, query));
        };
      }
      if (prop === 'startTransaction') {
        return async (...args: unknown[]) => wrapQueryable(await value.apply(obj, args));
      }
      return value.bind(obj);
    },
  });
}

export function instrumentAdapterFactory<F extends SqlMigrationAwareDriverAdapterFactory>(factory: F): F {
  return new Proxy(factory, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (prop === 'connect') {
        return async () => wrapQueryable((await (value as () => Promise<SqlDriverAdapter>).call(obj)) as SqlDriverAdapter);
      }
      return typeof value === 'function' ? value.bind(obj) : value;
    },
  });
}

// What one HTTP request carries through everything it causes (resolvers, SQL, background work it
// schedules): its id, a logger that prints that id on every line, its SQL statement counter and
// what the access log and metrics report once it is answered. One AsyncLocalStorage, entered by
// useRequestScope (src/observability/access-log.ts) around the whole request.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SqlCounter } from '../db/instrument.ts';

export interface RequestScope {
  /** The caller's `x-request-id` when it is a sane token, else a new UUID; echoed in the response. */
  requestId: string;
  /** The process logger's child with `reqId`: every line logged for this request carries it. */
  log: Logger;
  startedAt: bigint;
  sql: SqlCounter;
  operationName?: string;
  operationType?: string;
  /** `anonymous`, `user` or `operator` once the context is built; `none` when it could not be (bad credentials). */
  viewerKind: string;
  /** extensions.code of every error in the response, in order (at most 20 kept). */
  errorCodes: string[];
  /** What each document search of the request took from the caches (metrics; never sent to users). */
  searchTraces: { embeddingCache: string; resultCache: string }[];
}

const storage = new AsyncLocalStorage<RequestScope>();

export const currentRequest = () => storage.getStore();

/** The current request's logger, or the given one outside a request. */
export const requestLog = (fallback: Logger) => storage.getStore()?.log ?? fallback;

/** Letters, digits and `._:-`, 1 to 128 of them: anything else is replaced, never logged. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | null) {
  return header && REQUEST_ID.test(header) ? header : randomUUID();
}

export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

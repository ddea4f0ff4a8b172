// Request ids and the access log, as one yoga plugin (first in the list, so it wraps the rest):
// - every request runs inside its RequestScope (request-scope.ts): SQL statements it sends are
//   counted, and the logger that resolvers and masked errors use prints its `reqId`;
// - `x-request-id` is taken from the caller when sane, else made, and returned on the response;
// - when the response is ready, one line: operation name and type, duration, status, error
//   codes, SQL statements, viewer kind. Never headers, variables or tokens. Probes (/health,
//   /ready, /metrics) are logged at debug level so they do not drown the rest.
import { getOperationAST, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { withSqlCounter } from '../db/instrument.ts';
import { requestIdFrom, runInRequestScope, type RequestScope } from './request-scope.ts';

const PROBES = new Set(['/health', '/ready', '/metrics']);
const MAX_CODES = 20;

export interface AccessLogOptions {
  log: Logger;
  /** Called with each finished request (metrics). */
  onRequestDone?(scope: RequestScope, status: number): void;
}

function codesOf(result: unknown): string[] {
  if (!result || isAsyncIterable(result)) return [];
  const results = (Array.isArray(result) ? result : [result]) as ExecutionResult[];
  return results.flatMap((r) => (r.errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')));
}

export function useRequestScope({ log, onRequestDone }: AccessLogOptions): Plugin {
  const scopes = new WeakMap<Request, RequestScope>();
  return {
    instrumentation: {
      request({ request }, wrapped) {
        const requestId = requestIdFrom(request.headers.get('x-request-id'));
        const scope: RequestScope = {
          requestId,
          log: log.child({ reqId: requestId }),
          startedAt: process.hrtime.bigint(),
          sql: { statements: 0 },
          viewerKind: 'none',
          errorCodes: [],
          searchTraces: [],
        };
        scopes.set(request, scope);
        return runInRequestScope(scope, () => withSqlCounter(scope.sql, wrapped));
      },
    },
    onParams({ request, params }) {
      const scope = scopes.get(request);
      if (scope && typeof params.operationName === 'string') scope.operationName = params.operationName;
    },
    onValidate({ params, context }) {
      // After parsing, before validation: a refused operation is still named in the log.
      const scope = scopes.get((context as { request: Request }).request);
      if (!scope) return;
      const operation = getOperationAST(params.documentAST, scope.operationName);
      scope.operationType = operation?.operation;
      scope.operationName = operation?.name?.value ?? scope.operationName;
    },
    onResultProcess({ request, result }) {
      const scope = scopes.get(request);
      if (scope) scope.errorCodes.push(...codesOf(result).slice(0, MAX_CODES - scope.errorCodes.length));
    },
    onResponse({ request, response }) {
      const scope = scopes.get(request);
      if (!scope) return;
      response.headers.set('x-request-id', scope.requestId);
      const path = new URL(request.url).pathname;
      const line = {
        method: request.method,
        path,
        status: response.status,
        ms: Number(process.hrtime.bigint() - scope.startedAt) / 1e6,
        operation: scope.operationName?.slice(0, 100), // the client's choice: bounded
        operationType: scope.operationType,
        codes: scope.errorCodes.length ? scope.errorCodes : undefined,
        sql: scope.sql.statements,
        viewer: scope.viewerKind,
      };
      if (PROBES.has(path)) scope.log.debug(line, 'request');
      else scope.log.info(line, 'request');
      onRequestDone?.(scope, response.status);
    },
  };
}

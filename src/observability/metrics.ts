// Prometheus metrics (prom-client, one registry per app) and the /metrics endpoint.
// - GraphQL: yoga's prometheus plugin counts operations and times them (HTTP, parse, validate,
//   execute) by operation name and type; errors are counted by extensions.code.
// - Per request: SQL statements sent (histogram by operation name).
// - Database pool: connections in use, idle, and requests waiting for one (PostgreSQL only).
// - Fast read path: root fields answered by one statement, and fallbacks by reason.
// - Document search: cache lookups by level (embedding, result) and outcome, recorded by the resolver.
// - Message-deletion outbox: rows waiting and the age of the oldest, read from the table at scrape.
// Operation names come from clients: only names that look like GraphQL names are labels, and at
// most MAX_OPERATION_NAMES distinct ones; the rest are `other`, so no caller can explode the series.
import { timingSafeEqual, createHash } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createCounter, createHistogram, createSummary, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { RequestScope } from './request-scope.ts';

const MAX_OPERATION_NAMES = 200;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function operationNames() {
  const seen = new Set<string>();
  return (name: string | undefined) => {
    if (!name) return 'Anonymous'; // envelop's own word for an unnamed operation
    if (seen.has(name)) return name;
    if (!NAME.test(name) || seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  };
}

const PHASE_CODES: Record<string, string> = { parse: 'GRAPHQL_PARSE_FAILED', validate: 'GRAPHQL_VALIDATION_FAILED' };

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export function createMetrics(config: Pick<Config, 'metrics'>, db: Pick<Database, 'pool' | 'query'>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const opName = operationNames();

  const sqlPerRequest = new Histogram({
    name: 'graphql_sql_statements_per_request',
    help: 'SQL statements one HTTP request sent (background work excluded), by operation name',
    labelNames: ['operationName'],
    buckets: [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89],
    registers: [registry],
  });
  const searchCache = new Counter({
    name: 'search_cache_lookups_total',
    help: 'Document search cache lookups by level (embedding: level 1, result: level 2) and outcome (hit, miss, disabled)',
    labelNames: ['level', 'outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state (in_use, idle) and requests waiting for one (waiting); absent on PGlite',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = db.pool;
      if (!pool) return;
      this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  const readPath = new Counter({
    name: 'graphql_fast_read_path_total',
    help: 'Root fields the fast read path (src/read-path) could serve, by root and outcome: fast, or the reason the ordinary path answered (off, viewer, field, argument, directive, fragment, hidden, value: a stored value it cannot write)',
    labelNames: ['root', 'outcome'],
    registers: [registry],
  });
  const fastOperations = new Counter({
    name: 'graphql_fast_read_path_operations_total',
    help: 'Operations answered whole by the fast read path, without per-field execution (src/read-path/operation.ts), by root field; each is also counted as fast in graphql_fast_read_path_total',
    labelNames: ['root'],
    registers: [registry],
  });
  const outboxRows = new Gauge({ name: 'message_deletion_outbox_rows', help: 'Message deletions owed to the message store and not yet done', registers: [registry] });
  new Gauge({
    name: 'message_deletion_outbox_oldest_age_seconds',
    help: 'Age of the oldest message deletion still owed to the message store (0 when none)',
    registers: [registry],
    async collect() {
      const [row] = await db.query<{ rows: number; age: number | null }>(
        `SELECT count(*)::int AS rows, extract(epoch FROM now() - min(created_at))::float8 AS age FROM app.message_deletion_outbox`,
      );
      outboxRows.set(row?.rows ?? 0);
      this.set(row?.age ?? 0);
    },
  });

  const byOperation = (p: { operationName?: string; operationType?: string }) => ({ operationName: opName(p.operationName), operationType: p.operationType ?? 'unknown' });
  const phaseHistogram = <Phase extends 'parse' | 'validate' | 'context' | 'execute' | 'subscribe'>(phase: Phase, help: string) =>
    createHistogram({
      registry,
      histogram: { name: `graphql_envelop_phase_${phase}`, help, labelNames: ['operationName', 'operationType'] },
      fillLabelsFn: byOperation,
      phases: [phase],
    });
  const prometheus = usePrometheus({
    registry,
    endpoint: false, // served by metricsEndpoint below, behind METRICS_TOKEN
    skipIntrospection: true,
    metrics: {
      // Off: the plugin's default visits every request's document with a TypeInfo to find
      // deprecated fields (a tenth of a fast `me` read's allocations, issue 13's heap profile),
      // and labels it with the raw operation name; the schema deprecates nothing. A field that
      // gets @deprecated declares it here with byOperation.
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request: createCounter({
        registry,
        counter: { name: 'graphql_envelop_request', help: 'GraphQL operations executed', labelNames: ['operationName', 'operationType'] },
        fillLabelsFn: byOperation,
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: { name: 'graphql_envelop_request_duration', help: 'Time to execute a GraphQL operation (seconds)', labelNames: ['operationName', 'operationType'] },
        fillLabelsFn: byOperation,
      }),
      // Every metric labelled by operation name is declared here with byOperation: the plugin's
      // defaults label with the raw name, one new series per name a client makes up.
      graphql_envelop_phase_parse: phaseHistogram('parse', 'Time spent in the parse phase (seconds)'),
      graphql_envelop_phase_validate: phaseHistogram('validate', 'Time spent in the validate phase (seconds)'),
      graphql_envelop_phase_context: phaseHistogram('context', 'Time spent building the context (seconds)'),
      graphql_envelop_phase_execute: phaseHistogram('execute', 'Time spent in the execute phase (seconds)'),
      graphql_envelop_phase_subscribe: phaseHistogram('subscribe', 'Time spent in the subscribe phase (seconds)'),
      graphql_envelop_request_time_summary: createSummary({
        registry,
        summary: { name: 'graphql_envelop_request_time_summary', help: 'Time to complete a GraphQL operation (seconds)', labelNames: ['operationName', 'operationType'] },
        fillLabelsFn: byOperation,
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: { name: 'graphql_envelop_error_result', help: 'Errors in GraphQL results, by phase and extensions.code', labelNames: ['operationName', 'phase', 'code'] },
        fillLabelsFn: (p) => ({
          operationName: opName(p.operationName),
          phase: p.errorPhase ?? 'unknown',
          // Parse and validation errors get their code from yoga only after this point.
          code: String(p.error?.extensions?.code ?? PHASE_CODES[p.errorPhase ?? ''] ?? 'INTERNAL_SERVER_ERROR'),
        }),
      }),
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: { name: 'graphql_yoga_http_duration', help: 'Time to answer an HTTP request on the GraphQL endpoint (seconds)', labelNames: ['operationName', 'operationType', 'statusCode'] },
        fillLabelsFn: (p) => ({ ...byOperation(p), statusCode: p.response.status }),
      }),
    },
  });

  /**
   * GET /metrics: 404 when metrics are off (production without METRICS_TOKEN), 401 without the
   * right `Authorization: Bearer <METRICS_TOKEN>` when a token is set.
   */
  const expected = config.metrics.token ? sha256(config.metrics.token) : undefined;
  const endpoint: Plugin = {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== '/metrics' || !config.metrics.enabled) return;
      if (expected) {
        const given = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')?.[1];
        if (!given || !timingSafeEqual(sha256(given), expected)) {
          endResponse(new fetchAPI.Response('metrics need Authorization: Bearer <METRICS_TOKEN>\n', { status: 401, headers: { 'www-authenticate': 'Bearer' } }));
          return;
        }
      }
      endResponse(new fetchAPI.Response(await registry.metrics(), { status: 200, headers: { 'content-type': registry.contentType } }));
    },
  };

  return {
    registry,
    plugins: [endpoint, prometheus],
    /** Counts one fast-read-path outcome (Services.onReadPath); `operation`: a whole operation answered without per-field execution. */
    onReadPath(root: string, outcome: string) {
      if (outcome === 'operation') fastOperations.inc({ root });
      else readPath.inc({ root, outcome });
    },
    onRequestDone(scope: RequestScope) {
      for (const trace of scope.searchTraces) {
        searchCache.inc({ level: 'embedding', outcome: trace.embeddingCache });
        searchCache.inc({ level: 'result', outcome: trace.resultCache });
      }
      if (scope.operationName || scope.operationType) sqlPerRequest.observe({ operationName: opName(scope.operationName) }, scope.sql.statements);
    },
  };
}

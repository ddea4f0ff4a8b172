// createApp: yoga over the schema, with the per-request context and the plugins in an explicit
// order. No I/O happens on import; the caller owns the database and the process.
import { createYoga, useReadinessCheck, type Plugin } from 'graphql-yoga';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { createContext, useRequestStateRelease, type Services } from './context.ts';
import { resolveViewer } from './auth/viewer.ts';
import { clientIpOf, type ServerContext } from './http/client-ip.ts';
import { useHiddenSuggestions } from './http/hide-suggestions.ts';
import { schema } from './schema/index.ts';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { graphiqlOptions } from './schema/graphiql.ts';
import type { MessageStore } from './messages/types.ts';
import { createMessageStore } from './messages/factory.ts';
import { createNotifier, type Notifier } from './notifications/notifier.ts';
import { useDocumentSearch } from './search/extensions.ts';
import { createSearchService } from './search/factory.ts';
import type { SearchService } from './search/service.ts';
import { corsOptions } from './http/cors.ts';
import { useCsrfPrevention } from './http/csrf.ts';
import { usePersistedDocuments } from './http/persisted-operations.ts';
import { useRequestScope } from './observability/access-log.ts';
import { createMetrics } from './observability/metrics.ts';
import { startTracing } from './observability/tracing.ts';
import { currentRequest, requestLog } from './observability/request-scope.ts';
import { createErrorMasking } from './http/error-masking.ts';
import { readinessCheck } from './http/database-outage.ts';
import { useStrictGetParameters } from './http/get-parameters.ts';
import { useInputRules } from './input/plugin.ts';
import { useFastOperations } from './read-path/operation.ts';
import { createDatabaseRouting } from './http/database-routing.ts';
import { runUnrouted } from './db/routing.ts';
import { withoutSqlCounter } from './db/instrument.ts';
import type { RedisConnections } from './redis.ts';
import { createEventBus } from './events/bus.ts';
import { createRateLimits } from './rate-limit/limits.ts';
import { createLiveViewer } from './auth/live-viewer.ts';
import { requestHeaders, type TransportContext } from './http/websocket.ts';

export interface AppDeps {
  config: Config;
  db: Database;
  log: Logger;
  /** The process's message store (startServer creates and closes it); by default the one config chooses. */
  messages?: MessageStore;
  /** Outgoing mail (startServer creates and closes it); by default the one config chooses. */
  notifier?: Notifier;
  /** The process's search service (startServer creates it); by default the one config chooses. */
  search?: SearchService;
  /** Redis (startServer connects when REDIS_URL is set): events and rate-limit counters shared by instances; none: in-process. */
  redis?: RedisConnections | null;
}

/** Work scheduled after responses (activity timestamps, cache writes), awaited on shutdown. */
function backgroundQueue(log: Logger) {
  const pending = new Set<Promise<unknown>>();
  return {
    run(task: () => Promise<unknown>) {
      // Outside the operation's route: a query's deferred writes (cache entries) go to the primary.
      // Outside the request's statement count too: the response does not wait for them.
      const p = withoutSqlCounter(() => runUnrouted(() => Promise.resolve().then(task)))
        .catch((err) => requestLog(log).warn({ err }, 'background task failed'))
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async drain() {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}

export function createApp({
  config,
  db,
  log,
  messages = createMessageStore(config, db),
  notifier = createNotifier(config, db.prisma),
  search = createSearchService(config, db, log),
  redis = null,
}: AppDeps) {
  const background = backgroundQueue(log);
  const metrics = createMetrics(config, db);
  const events = createEventBus({ redis, keyPrefix: config.redis.keyPrefix, log });
  const services: Services = {
    config,
    db,
    log,
    messages,
    notifier,
    search,
    events,
    rateLimits: createRateLimits(config, redis),
    liveViewer: createLiveViewer(db),
    background: background.run,
    onReadPath: (root, outcome) => metrics.onReadPath(root, outcome),
  };
  // OpenTelemetry spans when OTEL_EXPORTER_OTLP_ENDPOINT is set; no plugin otherwise.
  const tracing = startTracing(config);
  // Client mistakes, database outages and unexpected errors: what is shown and what is logged.
  const { maskedErrors, logging } = createErrorMasking(log);
  const databaseReady = readinessCheck(db, log);
  // Read replicas (DATABASE_REPLICA_URLS): which server each operation reads (src/db/routing.ts).
  const routing = createDatabaseRouting(db, config.database.kind === 'postgres' ? config.database.readYourWritesMs : 0);
  let draining = false;

  // Armor and envelop plugins are typed for a bare context; they read nothing from ours.
  const plugins: Plugin<any>[] = [
    // Listed first so that its execute function is the innermost (envelop wraps in list order):
    // a query of one fast root field answered whole from its SQL (src/read-path/operation.ts),
    // inside every other plugin's execution wrapper.
    useFastOperations(),
    // 0. First, so it wraps everything else: the request id, SQL count and logger of the request,
    //    and one access-log line when it is answered (which also feeds the per-request metrics).
    useRequestScope({ log, onRequestDone: metrics.onRequestDone }),
    // 0a. Tracing (when configured): the request span, inside the request scope so its SQL
    //     statements and log lines belong to the same request; parse, validate, execute under it.
    ...tracing.plugins,
    // 0b. /metrics (behind METRICS_TOKEN) and the Prometheus collectors; early, so they time the rest.
    ...metrics.plugins,
    // 1. /ready answers 503 while the database is unreachable (its body names the failed check,
    //    never the driver's message), and from the moment shutdown starts, so a load balancer
    //    stops sending traffic (/health is yoga's liveness).
    useReadinessCheck({ endpoint: '/ready', check: async () => (draining ? false : databaseReady()) }),
    // 1a. Cross-site requests a browser sends without a preflight need a custom header.
    useCsrfPrevention(),
    // 1b. GET parameters that are not JSON are the client's 400 BAD_REQUEST (issue 11).
    useStrictGetParameters(),
    // 1c. Trusted documents: a hash becomes the SDK's document; in require mode other documents
    //     are refused here, before they are parsed.
    ...usePersistedDocuments(config),
    // 2. Hostile documents are refused before validation and execution.
    maxTokensPlugin({ n: 2000 }),
    maxAliasesPlugin({ n: 30, allowList: [] }),
    // 3. Schema discovery is a development convenience, off in production unless asked for.
    ...(config.introspection ? [] : [useDisableIntrospection(), useHiddenSuggestions()]),
    // 4. Document search: extensions.search (cache hits), and its cache writes after execution.
    useDocumentSearch(),
    // 5. Input rules (issue 11): NUL, lone surrogates, list/JSON bounds refused, String values
    //    normalized to NFC; once the document is valid, before the context (no SQL at all).
    useInputRules(),
    // 6. The last execution wrapper, so it wraps execution most closely: the operation's database
    //    client (primary or a replica), and the read-your-writes deadline on a mutation's response.
    routing.plugin,
    // 7. Once the operation's execution is over, every plugin's onExecuteDone included (it wraps
    //    them through envelop's execute instrumentation, so its place does not matter for them)
    //    and even when it threw, the request's per-request caches are dropped, so finished
    //    requests do not outlive the next young-generation collection (context.ts).
    useRequestStateRelease(),
  ];

  const yoga = createYoga<ServerContext & TransportContext>({
    schema,
    plugins,
    logging,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    cors: corsOptions(config),
    // GraphiQL's files come from this server (render-graphiql bundles them), never from a CDN.
    graphiql: config.graphiql ? graphiqlOptions : false,
    renderGraphiQL,
    maskedErrors,
    // Over HTTP (SSE included) the caller is in the request's headers; over WebSocket in the
    // connection_init payload (http/websocket.ts turns it into the same headers).
    context: async (initial) => {
      const { request, ...server } = initial;
      const headers = requestHeaders(request, server);
      const resolveOn = (reader: typeof db.prisma) => resolveViewer(headers, { prisma: reader, queryOn: db.queryOn, primary: db.prisma, config, background: background.run });
      // A WebSocket connection has no Request to route by: its subscriptions read the primary.
      const viewer = request ? await routing.resolveViewer(request, resolveOn) : await resolveOn(db.prisma);
      const scope = currentRequest();
      if (scope) scope.viewerKind = viewer.kind;
      // Built in yoga's context object itself: one object for the loaders, caches and resolvers.
      return createContext({ ...services, log: requestLog(log) }, viewer, clientIpOf(headers, server, config.trustProxy), initial);
    },
  });

  return {
    yoga,
    schema,
    services,
    metrics: metrics.registry,
    drainBackground: background.drain,
    /** Flushes the spans still buffered and stops tracing (last step of shutdown). */
    shutdownTracing: tracing.shutdown,
    /** Subscription events; close() ends every open subscription stream (shutdown). */
    events,
    /** Shutdown has begun: /ready answers 503 from now on. */
    startDraining() {
      draining = true;
    },
  };
}

export type App = ReturnType<typeof createApp>;

// createApp: yoga over the schema, with the per-request context and the plugins in an explicit
// order. No I/O happens on import; the caller owns the database and the process.
import { createYoga, useReadinessCheck, type Plugin } from 'graphql-yoga';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { createContext, type Services } from './context.ts';
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
}

/** Work scheduled after responses (activity timestamps, cache writes), awaited on shutdown. */
function backgroundQueue(log: Logger) {
  const pending = new Set<Promise<unknown>>();
  return {
    run(task: () => Promise<unknown>) {
      const p = Promise.resolve()
        .then(task)
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
}: AppDeps) {
  const background = backgroundQueue(log);
  const metrics = createMetrics(config, db);
  // OpenTelemetry spans when OTEL_EXPORTER_OTLP_ENDPOINT is set; no plugin otherwise.
  const tracing = startTracing(config);
  const services: Services = { config, db, log, messages, notifier, search, background: background.run, onReadPath: metrics.onReadPath };
  // Client mistakes, database outages and unexpected errors: what is shown and what is logged.
  const { maskedErrors, logging } = createErrorMasking(log);
  const databaseReady = readinessCheck(db, log);
  let draining = false;

  // Armor and envelop plugins are typed for a bare context; they read nothing from ours.
  const plugins: Plugin<any>[] = [
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
  ];

  const yoga = createYoga<ServerContext>({
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
    context: async ({ request, ...server }) => {
      const viewer = await resolveViewer(request.headers, { prisma: db.prisma, config, background: background.run });
      const scope = currentRequest();
      if (scope) scope.viewerKind = viewer.kind;
      return createContext({ ...services, log: requestLog(log) }, viewer, clientIpOf(request, server, config.trustProxy));
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
    /** Shutdown has begun: /ready answers 503 from now on. */
    startDraining() {
      draining = true;
    },
  };
}

export type App = ReturnType<typeof createApp>;

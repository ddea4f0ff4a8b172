// Optional OpenTelemetry tracing (config.tracing, set by OTEL_EXPORTER_OTLP_ENDPOINT): spans are
// batched and posted as OTLP/HTTP JSON to <endpoint>/v1/traces. One trace per HTTP request:
//
//   POST /graphql (SERVER; continues the caller's W3C `traceparent` when it sends one)
//   ├─ graphql.parse, graphql.validate      (here, through yoga's instrumentation hooks)
//   └─ query.<OperationName>                (envelop's OpenTelemetry plugin: the execution)
//      └─ SELECT / INSERT / ... per SQL statement Prisma sends (src/db/instrument.ts)
//
// Never recorded: variables, results, headers, or a document with inline arguments (envelop's
// plugin leaves those out by default; Prisma's statements carry $n placeholders, not values).
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { useOpenTelemetry } from '@envelop/opentelemetry';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import { inSpan, TRACER_NAME } from './spans.ts';

export interface Tracing {
  /** Yoga plugins that open the spans; empty when tracing is off. */
  plugins: Plugin<any>[];
  /** Sends the spans still buffered and stops tracing (shutdown; tests). Resolves at once when off. */
  shutdown(): Promise<void>;
}

/** The HTTP request span and the parse and validate spans, through yoga's instrumentation API. */
function useRequestSpans(tracer: Tracer): Plugin {
  const spans = new WeakMap<Request, Span>();
  return {
    instrumentation: {
      request({ request }, wrapped) {
        const path = new URL(request.url).pathname;
        const parent = propagation.extract(context.active(), Object.fromEntries(request.headers));
        const span = tracer.startSpan(
          `${request.method} ${path}`,
          { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: request.method, [ATTR_URL_PATH]: path } },
          parent,
        );
        spans.set(request, span);
        return context.with(parent, () => inSpan(span, wrapped));
      },
      parse: (_payload, wrapped) => inSpan(tracer.startSpan('graphql.parse'), wrapped),
      validate: (_payload, wrapped) => inSpan(tracer.startSpan('graphql.validate'), wrapped),
    },
    onResponse({ request, response }) {
      const span = spans.get(request);
      span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      if (span && response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
}

/**
 * Starts tracing when config.tracing is set: registers the tracer provider globally (the SQL
 * statement spans of src/db/instrument.ts use it, and AsyncLocalStorage carries the active span
 * across awaits) and returns the plugins. Off: no plugin, nothing registered.
 */
export function startTracing(config: Pick<Config, 'tracing'>): Tracing {
  if (!config.tracing) return { plugins: [], shutdown: async () => {} };
  const provider = new NodeTracerProvider({
    resource: new Resource({ [ATTR_SERVICE_NAME]: config.tracing.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracing.tracesUrl }))],
  });
  provider.register();
  const tracer = provider.getTracer(TRACER_NAME);
  return {
    plugins: [
      useRequestSpans(tracer),
      // The execution span, named <type>.<OperationName>; no resolver spans (one per field is
      // noise at this schema's sizes), no variables, no results.
      useOpenTelemetry({ resolvers: false, variables: false, result: false }, provider, SpanKind.INTERNAL, {}, TRACER_NAME),
    ],
    async shutdown() {
      await provider.shutdown();
      // Unregister, so a later provider (another app in the same process: tests) can register.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

// Optional OpenTelemetry tracing (config.tracing, set by OTEL_EXPORTER_OTLP_ENDPOINT): spans are
// batched and posted as OTLP/HTTP JSON to <endpoint>/v1/traces. One trace per HTTP request:
//
//   POST /graphql (SERVER; continues the caller's W3C `traceparent` when it sends one)
//   ├─ graphql.parse, graphql.validate      (here, through yoga's instrumentation hooks)
//   └─ query.<OperationName>                (envelop's OpenTelemetry plugin: the execution)
//      └─ SELECT / INSERT / ... per SQL statement Prisma sends (src/db/instrument.ts)
//
// Never recorded: variables, results, headers, error messages, or a document with inline
// arguments (envelop's plugin leaves those out by default; Prisma's statements carry $n
// placeholders, not values). Error messages are left out because envelop's plugin reads them
// before yoga masks them: graphql-js quotes a variable that does not coerce (a child's message,
// a consent code) and an unexpected error carries the driver's text. The request span gets the
// codes the client was shown instead (`graphql.error.codes`, as in the access log).
//
// A collector that is down or slow costs requests nothing (spans are batched and sent in the
// background; a full queue drops spans) and costs shutdown at most EXPORT_TIMEOUT_MS.
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
import { currentRequest } from './request-scope.ts';

/** How long one export, and the flush at shutdown, may wait on the collector. */
export const EXPORT_TIMEOUT_MS = 2_000;


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
        // The access log's request id (useRequestScope runs outside this plugin): logs ↔ trace.
        const requestId = currentRequest()?.requestId;
        if (requestId) span.setAttribute('http.request.id', requestId);
        return context.with(parent, () => inSpan(span, wrapped));
      },
      parse: (_payload, wrapped) => inSpan(tracer.startSpan('graphql.parse'), wrapped),
      validate: (_payload, wrapped) => inSpan(tracer.startSpan('graphql.validate'), wrapped),
    },
    onResponse({ request, response }) {
      const span = spans.get(request);
      span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      if (span && response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      // The codes after masking (what the client saw), never the messages.
      const codes = currentRequest()?.errorCodes;
      if (span && codes?.length) span.setAttribute('graphql.error.codes', [...codes]);
    },
  };
}

type Result = { errors?: readonly { extensions?: Record<string, unknown> }[] } | AsyncIterable<unknown>;
const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** The result envelop's plugin may see: each error reduced to its code (absent before masking for some). */
function errorsAsCodes<R extends Result>(result: R): R {
  if (isAsyncIterable(result) || !result?.errors?.length) return result;
  return { ...result, errors: result.errors.map((e) => ({ extensions: { code: e.extensions?.code } })) };
}

/**
 * envelop's OpenTelemetry plugin, fed results whose errors carry no message: it records
 * JSON.stringify(result.errors) on the execution span, and it runs before yoga's masking.
 */
function withoutErrorMessages(plugin: Plugin<any>): Plugin<any> {
  const { onExecute, onSubscribe } = plugin;
  type Next = { onNext?: (p: any) => unknown; onEnd?: () => unknown } | void;
  const wrapNext = (next: Next): Next =>
    next && {
      onNext: next.onNext && ((p: any) => next.onNext!({ ...p, result: errorsAsCodes(p.result) })),
      onEnd: next.onEnd,
    };
  return {
    ...plugin,
    onExecute: onExecute && ((payload: any) => {
      const hooks = onExecute(payload) as any;
      if (!hooks?.onExecuteDone) return hooks;
      return { ...hooks, onExecuteDone: (done: any) => wrapNext(hooks.onExecuteDone({ ...done, result: errorsAsCodes(done.result) })) };
    }),
    onSubscribe: onSubscribe && ((payload: any) => {
      const hooks = onSubscribe(payload) as any;
      if (!hooks?.onSubscribeResult) return hooks;
      return { ...hooks, onSubscribeResult: (p: any) => wrapNext(hooks.onSubscribeResult(p)) };
    }),
  } as Plugin<any>;
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
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracing.tracesUrl, timeoutMillis: EXPORT_TIMEOUT_MS }), {
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
      }),
    ],
  });
  provider.register();
  const tracer = provider.getTracer(TRACER_NAME);
  return {
    plugins: [
      useRequestSpans(tracer),
      // The execution span, named <type>.<OperationName>; no resolver spans (one per field is
      // noise at this schema's sizes), no variables, no results.
      withoutErrorMessages(useOpenTelemetry({ resolvers: false, variables: false, result: false }, provider, SpanKind.INTERNAL, {}, TRACER_NAME)),
    ],
    async shutdown() {
      // A collector that never answers must not hold shutdown past its budget.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        provider.shutdown().catch(() => {}),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, EXPORT_TIMEOUT_MS + 500).unref())),
      ]);
      clearTimeout(timer);
      // Unregister, so a later provider (another app in the same process: tests) can register.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

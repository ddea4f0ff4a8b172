// What code outside the tracing setup needs to open spans: the tracer name and a helper. Only
// @opentelemetry/api (no SDK), so scripts that never trace do not load the SDK; with no tracer
// provider registered every span is a no-op.
import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

/** The instrumentation scope of this server's own spans (request, parse, validate, SQL). */
export const TRACER_NAME = 'youth-safety-graphql-api';

/** Runs fn with span active, then ends it (with an error status when fn throws or rejects). */
export function inSpan<T>(span: Span, fn: () => T): T {
  const fail = (err: unknown) => {
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : undefined });
    span.end();
    throw err;
  };
  let result: T;
  try {
    result = context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    return fail(err);
  }
  if (result instanceof Promise) {
    return result.then((value) => {
      span.end();
      return value;
    }, fail) as T;
  }
  span.end();
  return result;
}

// What a client sees of an error, and what the log keeps of it. Three kinds:
// - the client's mistake (our coded errors, input that does not coerce, a malformed request):
//   shown as it is, logged at debug on one line without a stack;
// - the database unreachable: SERVICE_UNAVAILABLE, HTTP 503 with Retry-After, one warn line;
// - anything else: "Unexpected error." (INTERNAL_SERVER_ERROR), logged at error with its stack.
// Every 4xx carries an extensions.code, and no reply carries extensions.originalError.
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { ErrorCode, isAppError, isGraphQLError } from '../errors.ts';
import { isDatabaseUnavailable, serviceUnavailable } from './database-outage.ts';
import { requestLog } from '../observability/request-scope.ts';

/** The code a 4xx error without one gets, by HTTP status. */
const CODE_BY_STATUS: Record<number, string> = {
  400: ErrorCode.BAD_REQUEST,
  404: ErrorCode.NOT_FOUND,
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'REQUEST_ENTITY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** The logger shape yoga accepts (graphql-yoga's YogaLogger). */
type YogaLogger = Record<'debug' | 'info' | 'warn' | 'error', (...args: unknown[]) => void>;

type Extensions = Record<string, unknown> & { http?: { status?: number } };

/** A yoga HTTP error (4xx) with a code, and without the parser's originalError. */
function httpClientError(error: GraphQLError): GraphQLError | undefined {
  const ext = (error.extensions ?? {}) as Extensions;
  const status = ext.http?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (ext.code && !('originalError' in ext) && !error.originalError) return error;
  const { originalError: _dropped, http, ...rest } = ext;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    path: error.path,
    // Without `spec`, yoga keeps the 4xx status for application/json too (a malformed request
    // is never a 200); yoga used to get there only because originalError was attached.
    extensions: { ...rest, code: ext.code ?? CODE_BY_STATUS[status] ?? ErrorCode.BAD_REQUEST, http: { ...http, spec: false } },
  });
}

const VARIABLE_PREFIX = /^Variable "\$[_A-Za-z][_0-9A-Za-z]*" got invalid value /;

const unquoted = (json: string): string => {
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'string' ? parsed : '';
  } catch {
    return '';
  }
};

/**
 * graphql-js words a variable that does not coerce as `Variable "$v" got invalid value <value> at
 * "v.path"; <reason>`, where <value> is the whole offending value (for a missing field, the whole
 * input object) and the reason may quote it again. That value can be a child's story, a password or
 * a token: it must reach neither the reply nor the log. Keeps the variable, the path and the reason,
 * with the value replaced by `<redacted>`. `reason` is the message of the error graphql-js wraps.
 */
export function withoutEchoedValue(message: string, reason: string): string {
  const head = VARIABLE_PREFIX.exec(message);
  if (!head || !message.endsWith(`; ${reason}`)) return message;
  const prefix = message.slice(0, message.length - reason.length - 2);
  // The path is made of schema field names and list indexes, so its quotes are the last ones.
  const at = prefix.lastIndexOf(' at "');
  const value = prefix.slice(head[0].length, at >= 0 && prefix.endsWith('"') ? at : undefined);
  const path = at >= 0 && prefix.endsWith('"') ? prefix.slice(at) : '';
  // The reason quotes the value as graphql-js prints it, or a scalar's own way (DateTime: bare).
  const bare = value.startsWith('"') && value.endsWith('"') && value.length > 2 ? unquoted(value) : '';
  // A bare value (null, a number, true) is replaced only as a whole word: `null` is also in
  // graphql-js's "Expected non-nullable type", which must stay readable.
  let redactedReason = !value
    ? reason
    : /^[\w.+-]+$/.test(value)
      ? reason.replace(new RegExp(`(?<![\\w.+-])${value.replace(/[.+]/g, '\\$&')}(?![\\w+-]|\\.\\w)`, 'g'), '<redacted>')
      : reason.split(value).join('<redacted>');
  if (bare.length >= 4) redactedReason = redactedReason.split(bare).join('<redacted>');
  return `${head[0].replace(/ got invalid value $/, ' got an invalid value')}${path}; ${redactedReason}`;
}

const REDACTED_VARIABLE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got an invalid value(?: at "([^"]*)")?; /;

/**
 * A variable one of our scalars refused (LanguageCode), with `extensions.issues` like every other
 * BAD_USER_INPUT: the path inside the variables (`input.language`), and the scalar's reason.
 */
function scalarRefusal(message: string, reason: string, located: GraphQLError): GraphQLError {
  const at = REDACTED_VARIABLE.exec(message);
  const path = at ? (at[2] ?? at[1]).replace(/\[(\d+)\]/g, '.$1') : undefined;
  return new GraphQLError(message, {
    nodes: located.nodes,
    extensions: path ? { ...located.extensions, issues: [{ path, message: reason }] } : located.extensions,
  });
}

/**
 * A refusal of the document before execution that its author left without a code (graphql-armor's
 * alias limit, a subscription on a schema without subscriptions): GRAPHQL_VALIDATION_FAILED, like
 * graphql-js's own validation errors. Errors with a path (a resolver's own) are left as they are.
 */
function documentRefusal(error: GraphQLError): GraphQLError | undefined {
  if (error.extensions?.code || error.path) return undefined;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
  });
}

/** One line for a client's mistake: what and where, no stack. */
const summary = (error: GraphQLError) => ({ code: error.extensions?.code, message: error.message, path: error.path?.join('.') });

export function createErrorMasking(processLog: Logger) {
  // Every line carries the request's id when there is a request in scope.
  const logger = () => requestLog(processLog);
  // Errors this module has logged itself: yoga's own "log every masked error" is skipped for them.
  const logged = new WeakSet<object>();

  function maskError(error: unknown, message: string): Error {
    if (error && typeof error === 'object') logged.add(error);
    // Duck-typed: test runners can load graphql twice, and instanceof fails across copies.
    const original = isGraphQLError(error) ? error.originalError : error;
    const located = isGraphQLError(error) ? error : undefined;

    if (located && !located.originalError) {
      const shown = httpClientError(located) ?? documentRefusal(located) ?? located;
      logger().debug(summary(shown), 'request refused');
      return shown;
    }
    // The located error carries path and locations, and the original's extensions.
    if (isAppError(original)) {
      // A scalar of ours refusing a variable (LanguageCode): graphql-js still echoes the value.
      const shown =
        located && !located.path && VARIABLE_PREFIX.test(located.message)
          ? scalarRefusal(withoutEchoedValue(located.message, original.message), original.message, located)
          : (located ?? original);
      logger().debug(summary(shown), 'client error');
      return shown;
    }
    if (isDatabaseUnavailable(original ?? error)) {
      const cause = (original as { code?: unknown } | undefined)?.code;
      logger().warn({ code: ErrorCode.SERVICE_UNAVAILABLE, cause: typeof cause === 'string' ? cause : undefined, path: located?.path?.join('.') }, 'database unavailable');
      return serviceUnavailable(located?.path);
    }
    // The client's doing, not ours: a variable that does not coerce (wrong type, missing
    // field, a scalar refusing it: no path, before execution) or a malformed global ID.
    if (located && isGraphQLError(original) && (!located.path || original.name === 'PothosValidationError')) {
      const shown = new GraphQLError(withoutEchoedValue(located.message, original.message), { nodes: located.nodes, path: located.path, extensions: { code: ErrorCode.BAD_USER_INPUT } });
      logger().debug(summary(shown), 'client error');
      return shown;
    }
    logger().error({ err: original ?? error, path: located?.path?.join('.') }, 'unexpected error while executing an operation');
    return new GraphQLError(message, {
      nodes: located?.nodes,
      path: located?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  }

  // yoga logs every error its masking changed, at error level with the stack; maskError above
  // has already logged each at the level it deserves.
  const logging: YogaLogger = {
    debug: (...args: unknown[]) => logger().debug(args.map(String).join(' ')),
    info: (...args: unknown[]) => logger().info(args.map(String).join(' ')),
    warn: (...args: unknown[]) => logger().warn(args.map(String).join(' ')),
    error: (...args: unknown[]) => {
      if (args.length === 1 && args[0] && typeof args[0] === 'object' && logged.has(args[0])) return;
      logger().error(args[0] instanceof Error ? { err: args[0] } : { detail: args.map(String).join(' ') }, 'yoga error');
    },
  };

  return { maskedErrors: { isDev: false, maskError }, logging };
}

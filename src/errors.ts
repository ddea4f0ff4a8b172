// Every expected failure is a GraphQLError with a stable extensions.code; anything else is
// masked by yoga as INTERNAL_SERVER_ERROR.
import { GraphQLError } from 'graphql';
import type { ZodError } from 'zod';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONSENT_REQUIRED: 'CONSENT_REQUIRED',
  CONFLICT: 'CONFLICT',
  INVITATION_EXPIRED: 'INVITATION_EXPIRED',
  INVITATION_REVOKED: 'INVITATION_REVOKED',
  INVITATION_EXHAUSTED: 'INVITATION_EXHAUSTED',
  LAST_OWNER: 'LAST_OWNER',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** A malformed HTTP request (bad JSON body or query parameters): HTTP 400, like every 4xx with its own code. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The database cannot be reached: HTTP 503 with Retry-After; the same request may succeed later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** grantParentalConsent: the code is not the one mailed for this request (extensions.attemptsLeft). */
  CONSENT_CODE_INVALID: 'CONSENT_CODE_INVALID',
  /** grantParentalConsent: the request's code expired; the teenager asks again for a new one. */
  CONSENT_CODE_EXPIRED: 'CONSENT_CODE_EXPIRED',
  /** grantParentalConsent: five wrong codes locked the request; the teenager asks again for a new one. */
  CONSENT_REQUEST_LOCKED: 'CONSENT_REQUEST_LOCKED',
  /** Too many attempts of a rate-limited operation: HTTP 429 with Retry-After, and extensions.retryAfterSeconds. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A WebSocket connection already holds its maximum of open subscriptions (src/http/websocket.ts): complete one first, or open another connection. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const unauthenticated = (message = 'Authentication required') => appError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'Not allowed') => appError(ErrorCode.FORBIDDEN, message);
/** The same error whether the object is missing or hidden from the caller: existence never leaks. */
export const notFound = (message = 'Not found') => appError(ErrorCode.NOT_FOUND, message);
export const badInput = (message: string, extensions: Record<string, unknown> = {}) =>
  appError(ErrorCode.BAD_USER_INPUT, message, extensions);

/** A zod failure as BAD_USER_INPUT; each issue's path starts at the argument it is in (`prefix`; null for top-level arguments). */
export function fromZod(error: ZodError, prefix: string | null = 'input') {
  const issues = error.issues.map((i) => ({ path: [...(prefix ? [prefix] : []), ...i.path.map(String)].join('.'), message: i.message }));
  return badInput(issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

export function isGraphQLError(err: unknown): err is GraphQLError {
  return err instanceof GraphQLError || (err instanceof Error && err.name === 'GraphQLError' && 'extensions' in err);
}

/** One of our expected errors: safe to show the client as it is. */
export function isAppError(err: unknown): err is GraphQLError {
  return isGraphQLError(err) && typeof err.extensions?.code === 'string' && err.extensions.code !== 'INTERNAL_SERVER_ERROR';
}

// Subscriptions (and any operation) over WebSocket with the graphql-ws protocol, on the HTTP
// server's port and GraphQL path, wired to yoga as yoga's documentation does: every operation
// goes through yoga's envelop (the same schema, plugins, context and error masking as HTTP).
// The caller authenticates in connection_init's payload: { authorization: "Bearer <token>" } or
// { "x-api-key": "<key>" }, the same values the HTTP headers carry.
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { appError, ErrorCode, isAppError } from '../errors.ts';
import type { DocumentResolver } from './persisted-operations.ts';

/**
 * Operations one WebSocket connection may have running at once. Each open subscription holds a
 * stream, its event-bus listeners and a context: without a bound, one client could exhaust the
 * server's memory over a single socket. The next one is refused with TOO_MANY_SUBSCRIPTIONS (the
 * connection and its other subscriptions stay up).
 */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 32;

/** What yoga's context factory receives for a WebSocket operation (no Fetch Request there). */
export interface TransportContext {
  connectionParams?: Readonly<Record<string, unknown>>;
  req?: IncomingMessage | { socket?: { remoteAddress?: string | null } };
}

const pick = (params: Readonly<Record<string, unknown>> | undefined, ...names: string[]) => {
  for (const name of names) {
    const value = params?.[name];
    if (typeof value === 'string') return value;
  }
  return null;
};

/**
 * A credential from connection_init as a header. A value no HTTP header can carry (NUL, a line
 * break, a character past U+00FF) is no credential: it stands as one that resolveViewer refuses as
 * it refuses junk (a malformed Authorization, an invalid key), instead of the TypeError Headers
 * throws, which closed the whole connection (4500) and logged the token.
 */
function setCredential(headers: Headers, name: string, value: string) {
  try {
    headers.set(name, value);
  } catch {
    headers.set(name, '!');
  }
}

/**
 * The headers that identify the caller: the request's over HTTP; over WebSocket, built from
 * connection_init's payload (authorization, x-api-key) and the upgrade request's X-Forwarded-For.
 */
export function requestHeaders(request: Request | undefined, server: TransportContext): Headers {
  if (request) return request.headers;
  const headers = new Headers();
  const authorization = pick(server.connectionParams, 'authorization', 'Authorization');
  const apiKey = pick(server.connectionParams, 'x-api-key', 'X-Api-Key', 'apiKey');
  if (authorization) setCredential(headers, 'authorization', authorization);
  if (apiKey) setCredential(headers, 'x-api-key', apiKey);
  const forwarded = (server.req as IncomingMessage | undefined)?.headers?.['x-forwarded-for'];
  if (typeof forwarded === 'string') headers.set('x-forwarded-for', forwarded);
  return headers;
}

/** The GraphQL errors a refused operation was thrown with (client errors only), or null for anything else. */
function operationErrors(err: unknown): GraphQLError[] | null {
  const all = err instanceof AggregateError ? err.errors : [err];
  if (all.length && all.every((e) => e instanceof GraphQLError && (e.extensions?.code === undefined || isAppError(e)))) return all as GraphQLError[];
  return null;
}

type EnvelopedArgs = ExecutionArgs & { rootValue: { execute: (args: ExecutionArgs) => any; subscribe: (args: ExecutionArgs) => any } };

/** Serves graphql-ws on `path` of this HTTP server; documentOf applies trusted documents (persisted-operations.ts). close() ends every socket with 1001 (going away). */
export function attachWebSocket(server: Server, yoga: YogaServerInstance<any, any>, path: string, documentOf: DocumentResolver = (params) => params.query) {
  const wss = new WebSocketServer({ server, path });
  const disposable = useServer(
    {
      execute: (args) => (args as EnvelopedArgs).rootValue.execute(args as EnvelopedArgs),
      subscribe: (args) => (args as EnvelopedArgs).rootValue.subscribe(args as EnvelopedArgs),
      onSubscribe: async (ctx, _id, params) => {
        // graphql-ws has already registered this one in ctx.subscriptions.
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [appError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations run at once on one connection`, { limit: MAX_SUBSCRIPTIONS_PER_CONNECTION })];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        // Parse, validate (input rules included), then build the context, as over HTTP: a refused
        // document costs no database work. Each refusal is this operation's error (GraphQLErrors,
        // or an AggregateError of them from the input rules), never a reason to close the whole
        // connection with 4500 and end its other subscriptions.
        let args;
        try {
          // Trusted documents (PERSISTED_OPERATIONS) hold here as over HTTP.
          const text = documentOf(params, requestHeaders(undefined, { connectionParams: ctx.connectionParams, req: ctx.extra.request }));
          if (text instanceof GraphQLError) return [text];
          let document;
          try {
            document = parse(text);
          } catch (err) {
            // Over HTTP yoga answers a syntax error with this code; the same here.
            if (err instanceof GraphQLError && !err.extensions?.code) return [new GraphQLError(err.message, { ...err, extensions: { ...err.extensions, code: 'GRAPHQL_PARSE_FAILED' } })];
            throw err;
          }
          const errors = validate(schema, document);
          if (errors.length) return errors;
          args = {
            schema,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
        } catch (err) {
          const errors = operationErrors(err);
          if (errors) return errors;
          throw err;
        }
        return args;
      },
    },
    wss,
  );
  return {
    wss,
    /** Open WebSocket connections. */
    get connections() {
      return wss.clients.size;
    },
    async close() {
      for (const socket of wss.clients as Set<WebSocket>) socket.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

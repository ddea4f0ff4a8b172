// Subscriptions (and any operation) over WebSocket with the graphql-ws protocol, on the HTTP
// server's port and GraphQL path, wired to yoga as yoga's documentation does: every operation
// goes through yoga's envelop (the same schema, plugins, context and error masking as HTTP).
// The caller authenticates in connection_init's payload: { authorization: "Bearer <token>" } or
// { "x-api-key": "<key>" }, the same values the HTTP headers carry.
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { ExecutionArgs } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { isAppError } from '../errors.ts';

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
 * The headers that identify the caller: the request's over HTTP; over WebSocket, built from
 * connection_init's payload (authorization, x-api-key) and the upgrade request's X-Forwarded-For.
 */
export function requestHeaders(request: Request | undefined, server: TransportContext): Headers {
  if (request) return request.headers;
  const headers = new Headers();
  const authorization = pick(server.connectionParams, 'authorization', 'Authorization');
  const apiKey = pick(server.connectionParams, 'x-api-key', 'X-Api-Key', 'apiKey');
  if (authorization) headers.set('authorization', authorization);
  if (apiKey) headers.set('x-api-key', apiKey);
  const forwarded = (server.req as IncomingMessage | undefined)?.headers?.['x-forwarded-for'];
  if (typeof forwarded === 'string') headers.set('x-forwarded-for', forwarded);
  return headers;
}

type EnvelopedArgs = ExecutionArgs & { rootValue: { execute: (args: ExecutionArgs) => any; subscribe: (args: ExecutionArgs) => any } };

/** Serves graphql-ws on `path` of this HTTP server. close() ends every socket with 1001 (going away). */
export function attachWebSocket(server: Server, yoga: YogaServerInstance<any, any>, path: string) {
  const wss = new WebSocketServer({ server, path });
  const disposable = useServer(
    {
      execute: (args) => (args as EnvelopedArgs).rootValue.execute(args as EnvelopedArgs),
      subscribe: (args) => (args as EnvelopedArgs).rootValue.subscribe(args as EnvelopedArgs),
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        let contextValue: unknown;
        try {
          contextValue = await contextFactory();
        } catch (err) {
          // An invalid token is this operation's UNAUTHENTICATED error, not a dropped socket.
          if (isAppError(err)) return [err];
          throw err;
        }
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
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

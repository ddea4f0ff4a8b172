// Read replicas on the request path (rules in src/db/routing.ts): who the caller is, which server
// each GraphQL operation runs on, and the `X-Primary-Until` deadline on a mutation's response.
// Without replicas it changes nothing: every client is the primary.
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Database } from '../db/database.ts';
import { currentRoute, PRIMARY_UNTIL_HEADER, ReadYourWrites, runRouted } from '../db/routing.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { ErrorCode } from '../errors.ts';
import type { Context } from '../context.ts';
import { hashToken } from '../auth/tokens.ts';
import { isDatabaseUnavailable } from './database-outage.ts';
import { requestHeaders, type TransportContext } from './websocket.ts';

/** Read-your-writes is keyed by who wrote: a user, or an API key (operators). */
export function viewerKey(viewer: Viewer): string | null {
  if (viewer.kind === 'user') return `user:${viewer.user.id}`;
  if (viewer.kind === 'operator') return `key:${viewer.apiKey.id}`;
  return null;
}

/**
 * The credential a request presents (bearer token or API key), hashed: lets the next request with
 * the same credential go straight to the primary inside its window, without first reading the
 * replica to learn who it is. Never the raw value.
 */
function credentialKey(headers: Headers): string | null {
  const credential = headers.get('authorization') || headers.get('x-api-key');
  return credential ? `credential:${hashToken(credential)}` : null;
}

const isUnauthenticated = (err: unknown) => (err as { extensions?: { code?: unknown } })?.extensions?.code === ErrorCode.UNAUTHENTICATED;

export function createDatabaseRouting(db: Database, readYourWritesMs: number) {
  const writes = new ReadYourWrites(readYourWritesMs);
  const deadlines = new WeakMap<Request, number>();
  /** Requests whose viewer had to be read on the primary: the replica is behind for them, so all their reads go there. */
  const onPrimary = new WeakSet<Request>();

  /**
   * Resolves the caller on a replica when it may: a token the replica does not know yet (a sign-in
   * it has not replayed) is asked of the primary before it is refused, and a viewer inside its
   * read-your-writes window (it just signed out, or changed its memberships) is resolved again
   * there; either way the rest of the request reads the primary too. `resolve` must do its
   * writes (activity timestamps) on the primary.
   */
  async function resolveViewer(request: Request, resolve: (reader: PrismaClient) => Promise<Viewer>): Promise<Viewer> {
    if (!db.hasReplicas) return resolve(db.prisma);
    const onThePrimary = () => {
      onPrimary.add(request);
      return resolve(db.prisma);
    };
    if (writes.headerPinned(request.headers) || writes.pinned(credentialKey(request.headers))) return onThePrimary();
    let viewer: Viewer;
    const reader = db.replica();
    try {
      viewer = await resolve(reader);
    } catch (err) {
      if (isUnauthenticated(err)) return onThePrimary();
      // A replica that is down or refusing connections: this request and, for a while, the
      // next ones read elsewhere (another replica, else the primary) instead of failing.
      if (isDatabaseUnavailable(err)) {
        db.replicaUnavailable(reader);
        return onThePrimary();
      }
      throw err;
    }
    return writes.pinned(viewerKey(viewer)) ? onThePrimary() : viewer;
  }

  // Over HTTP the operation's context has the Fetch Request; over WebSocket it has none (the caller
  // is in connection_init's payload, TransportContext): every hook below reads it as optional.
  const plugin: Plugin<Context & TransportContext & { request?: Request }> = {
    instrumentation: {
      // Per operation (a batch's operations each choose), around its execution and its hooks:
      // onExecute below makes the choice once the document is known.
      execute(_payload, wrapped) {
        return runRouted({ primary: db.prisma, client: db.prisma }, wrapped);
      },
    },
    onExecute({ args }) {
      const ctx = args.contextValue;
      const operation = getOperationAST(args.document, args.operationName)?.operation;
      const before = viewerKey(ctx.viewer);
      const primary = !db.hasReplicas || operation !== 'query' || (ctx.request !== undefined && onPrimary.has(ctx.request)) || writes.pinned(before);
      ctx.prisma = primary ? db.prisma : db.replica();
      const route = currentRoute();
      if (route?.primary === db.prisma) route.client = ctx.prisma;
      if (operation !== 'mutation') {
        if (primary) return;
        // The replica failed mid-operation (this answer is SERVICE_UNAVAILABLE with Retry-After):
        // leave it out for a while, so the retry reads elsewhere.
        const reader = ctx.prisma;
        return {
          onExecuteDone({ result }) {
            const errors = 'errors' in result ? result.errors : undefined;
            if (errors?.some((e) => isDatabaseUnavailable(e))) db.replicaUnavailable(reader);
          },
        };
      }
      return {
        onExecuteDone() {
          // The caller before and after (a sign-in becomes a user): both read their writes, and so
          // does the credential it presented (over WebSocket, connection_init's: the same token
          // used over HTTP next reads the primary). A WebSocket reply has no header to carry the
          // deadline.
          const until = writes.noteWrite([before, viewerKey(ctx.viewer), credentialKey(requestHeaders(ctx.request, ctx))]);
          if (ctx.request) deadlines.set(ctx.request, until);
        },
      };
    },
    onResponse({ request, response }) {
      const until = deadlines.get(request);
      if (until !== undefined && db.hasReplicas) response.headers.set(PRIMARY_UNTIL_HEADER, String(until));
    },
  };

  return { plugin, resolveViewer, writes };
}

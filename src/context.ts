// The per-request context: who is calling, the database, and this request's loaders. The caller's
// facts (roles, consents, session) and the predicates over them live in auth/caller.ts.
import { contextCacheSymbol, createContextCache, initContextCache, type ContextCache } from '@pothos/core';
import { RequestCache } from '@pothos/plugin-scope-auth';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import type { Viewer } from './auth/viewer.ts';
import { Loaders } from './loaders.ts';
import type { MessageStore } from './messages/types.ts';
import type { Notifier } from './notifications/notifier.ts';
import type { SearchService } from './search/service.ts';
import type { EventBus } from './events/bus.ts';
import type { RateLimits } from './rate-limit/limits.ts';
import type { LiveViewer } from './auth/live-viewer.ts';

export interface Services {
  config: Config;
  db: Database;
  log: Logger;
  /** Message transcripts (MongoDB or the app.message table): one store per process. */
  messages: MessageStore;
  /** Outgoing mail (SMTP, or the development mailbox table): one per process. */
  notifier: Notifier;
  /** Document search and the configured embedder (search/factory.ts): one per process. */
  search: SearchService;
  /** Counts how a fast-read-path root field was answered (src/read-path; the metrics' counter). */
  onReadPath?(root: string, outcome: string): void;
  /** Subscription events: Redis pub/sub across instances, or in-process (events/bus.ts). */
  events: EventBus;
  /** Attempt budgets of abuse-prone operations, per client address and per user (rate-limit/limits.ts). */
  rateLimits: RateLimits;
  /** A subscriber's caller as the database says now (auth/live-viewer.ts); null once signed out or revoked. */
  liveViewer: LiveViewer;
  /** Runs work after the response; failures are logged, never thrown at a client. */
  background(task: () => Promise<unknown>): void;
}

/**
 * One request's context. Read-only: who is calling and what they may do changes only through
 * auth/caller.ts (`changed`, `refreshCaller`), the one module that owns the caller's facts. `prisma`
 * is the client database routing chose for the operation (http/database-routing.ts).
 */
export interface Context extends Readonly<Services> {
  prisma: PrismaClient;
  /** Who is calling; read it through auth/caller.ts's predicates where one exists. */
  readonly viewer: Viewer;
  readonly clientIp: string | null;
  readonly loaders: Loaders;
  readonly requestTime: Date;
}

/**
 * The request's context. `into`: the object the context is built in (yoga's own context object,
 * so that the loaders and every cache see the one object the resolvers get; a new one by default).
 */
export function createContext(services: Services, viewer: Viewer, clientIp: string | null, into: object = {}): Context {
  // initContextCache: the key every per-request cache (Pothos's createContextCache, requestCache
  // below) files this request's state under, so that releaseRequestState can drop all of it.
  const ctx = Object.assign(into, { ...initContextCache(), ...services, prisma: services.db.prisma, viewer, clientIp, requestTime: new Date() });
  return Object.assign(ctx, { loaders: new Loaders(ctx) });
}

const ownCaches: ContextCache<unknown, never, []>[] = [];

/**
 * Per-request state kept beside the context (created on first use for a context, `cache(ctx)`):
 * Pothos's createContextCache, registered so that releaseRequestState deletes it.
 */
export function requestCache<T, C extends object = object>(create: (ctx: C) => T): ContextCache<T, C, []> {
  const cache = createContextCache(create);
  ownCaches.push(cache as ContextCache<unknown, never, []>);
  return cache;
}

/**
 * Drops the request's per-request state: this project's (requestCache: auth/caller.ts, read-path/,
 * search/extensions.ts) and Pothos's (scope-auth's scope answers; the complexity plugin's and
 * Pothos dataloaders' through a fresh cache key). Later lookups start empty.
 *
 * Why, once the operation has executed: those caches are module-level WeakMaps keyed by the
 * request, and V8's young-generation collection (a scavenge) keeps a WeakMap value alive while its
 * entry exists, clearing an entry only once its key has died. Scope-auth's entry holds the context
 * itself, so its key never died before a full collection: each finished request (its rows,
 * compiled statement, Request and Response, about 50 KB for `me`) was copied by one scavenge,
 * promoted by the next and freed only by a mark-compact (issue 13: `npm run bench:gc`).
 */
export function releaseRequestState(ctx: object) {
  for (const cache of ownCaches) cache.delete(ctx as never);
  RequestCache.clearForContext(ctx);
  (ctx as { [contextCacheSymbol]?: object })[contextCacheSymbol] = {};
}

/**
 * Calls releaseRequestState once an operation's execution is over (queries and mutations, over
 * HTTP and WebSocket: each operation has its own context), however it ended. From envelop's
 * execute instrumentation, which wraps the execution with every plugin's onExecute and
 * onExecuteDone hooks (whatever their place in the list): the hooks all read their state first
 * (search's cache writes and traces, the routing's deadline, error masking), and an execution that
 * throws, in the executor or in any hook, is released too (no onExecuteDone runs then). An
 * incremental result (an async iterable) keeps its state, as does a subscription (onSubscribe,
 * not onExecute).
 */
export function useRequestStateRelease(): Plugin {
  const incremental = new WeakSet<object>();
  return {
    instrumentation: {
      // `context` is the object the operation's context was built in (createContext's `into`),
      // so the execution's contextValue.
      async execute({ context }, wrapped) {
        try {
          await wrapped();
        } finally {
          if (!incremental.delete(context)) releaseRequestState(context);
        }
      },
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in Object(result)) incremental.add(args.contextValue as object);
        },
      };
    },
  };
}

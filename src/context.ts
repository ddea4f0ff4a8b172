// The per-request context: who is calling, the database, and this request's loaders. The caller's
// facts (roles, consents, session) and the predicates over them live in auth/caller.ts.
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

export function createContext(services: Services, viewer: Viewer, clientIp: string | null): Context {
  const ctx = { ...services, prisma: services.db.prisma, viewer, clientIp, requestTime: new Date() };
  return Object.assign(ctx, { loaders: new Loaders(ctx) });
}

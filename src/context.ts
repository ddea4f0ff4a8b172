// The per-request context: who is calling, the database, and this request's loaders.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import type { Viewer } from './auth/viewer.ts';
import { Loaders } from './loaders.ts';
import type { Permission } from './auth/permissions.ts';
import type { MessageStore } from './messages/types.ts';
import type { Notifier } from './notifications/notifier.ts';
import type { SearchService } from './search/service.ts';

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
  /** Runs work after the response; failures are logged, never thrown at a client. */
  background(task: () => Promise<unknown>): void;
}

export interface Context extends Services {
  prisma: PrismaClient;
  viewer: Viewer;
  clientIp: string | null;
  loaders: Loaders;
  requestTime: Date;
}

export function createContext(services: Services, viewer: Viewer, clientIp: string | null): Context {
  const ctx: Context = {
    ...services,
    prisma: services.db.prisma,
    viewer,
    clientIp,
    requestTime: new Date(),
    loaders: undefined as unknown as Loaders,
  };
  ctx.loaders = new Loaders(ctx);
  actAs(ctx, viewer);
  return ctx;
}

/**
 * Sets who the rest of the request runs as: after a sign-in, or after a write that changed the
 * caller's session scope or memberships, so payload fields see the new state.
 */
export function actAs(ctx: Context, viewer: Viewer) {
  ctx.viewer = viewer;
  if (viewer.kind === 'user') ctx.loaders.rolesByUser.clear(viewer.user.id).prime(viewer.user.id, viewer.roles);
}

export const viewerUserId = (ctx: Pick<Context, 'viewer'>) => (ctx.viewer.kind === 'user' ? ctx.viewer.user.id : null);
export const hasPermission = (ctx: Pick<Context, 'viewer'>, permission: Permission) =>
  ctx.viewer.kind === 'operator' && (ctx.viewer.permissions.has(permission) || ctx.viewer.permissions.has('*'));

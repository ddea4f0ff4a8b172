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

/**
 * Before a subscription's next event: the caller as the database says now (its session may have
 * ended or changed scope, its roles moved, its key been revoked), with fresh loaders so nothing
 * cached from earlier events answers. False when the caller may no longer be served at all.
 */
export async function refreshCaller(ctx: Context): Promise<boolean> {
  const viewer = await ctx.liveViewer(ctx.viewer);
  if (!viewer) return false;
  ctx.requestTime = new Date();
  ctx.loaders = new Loaders(ctx);
  actAs(ctx, viewer);
  return true;
}

export const viewerUserId = (ctx: Pick<Context, 'viewer'>) => (ctx.viewer.kind === 'user' ? ctx.viewer.user.id : null);
/** A signed-in user whose session is FULL (the consent pipeline's last step). */
export const sessionReachesFull = (ctx: Pick<Context, 'viewer'>) => ctx.viewer.kind === 'user' && ctx.viewer.session.scope === 'FULL';
export const hasPermission = (ctx: Pick<Context, 'viewer'>, permission: Permission) =>
  ctx.viewer.kind === 'operator' && (ctx.viewer.permissions.has(permission) || ctx.viewer.permissions.has('*'));

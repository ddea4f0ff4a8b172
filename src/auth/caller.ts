// The caller's facts for one request, behind one door: who is calling (ctx.viewer), their roles per
// collective, the teenagers they gave parental consent for, their session and profile. Scope
// functions (auth/scopes.ts), row rules (each area's auth.ts) and resolvers read them here; a
// resolver whose committed write changed one of them says so with `changed(ctx, ...)`, and the rest
// of the request (payload fields, later root fields) sees the new state. Nothing outside this module
// writes ctx.viewer or caches anyone's roles: the Context is otherwise read-only.
import DataLoader from 'dataloader';
import { RequestCache } from '@pothos/plugin-scope-auth';
import { releaseRequestState, requestCache, type Context } from '../context.ts';
import type { AppSession, MembershipRole, Prisma, SessionScope, User } from '../generated/prisma/client.ts';
import { Loaders } from '../loaders.ts';
import type { Permission } from './permissions.ts';
import { anonymous, type Viewer } from './viewer.ts';

/** The roles that manage a collective: invite, manage members, read its invitations and analytics. */
export const MANAGER_ROLES = ['OWNER', 'ADMIN'] as const satisfies readonly MembershipRole[];

/** Whether a role manages its collective (OWNER or ADMIN); false for no role. The one spelling of that rule. */
export const isManagerRole = (role: MembershipRole | null | undefined): boolean => role === 'OWNER' || role === 'ADMIN';

/** The signed-in user's id, or null (anonymous, operator key). */
export const viewerUserId = (ctx: Pick<Context, 'viewer'>) => (ctx.viewer.kind === 'user' ? ctx.viewer.user.id : null);

/** Whether the caller is an operator key holding `permission` (or `*`). */
export const hasPermission = (ctx: Pick<Context, 'viewer'>, permission: Permission) =>
  ctx.viewer.kind === 'operator' && (ctx.viewer.permissions.has(permission) || ctx.viewer.permissions.has('*'));

/** The consent pipeline's steps in order (seed 001): a session at a step may do what earlier steps allow. */
const STEP: Record<SessionScope, number> = { ONBOARDING: 0, PENDING_CONSENT: 1, FULL: 2 };

/** Whether the caller is a user whose session reached at least `minimum` in the consent pipeline. */
export const sessionReaches = (ctx: Pick<Context, 'viewer'>, minimum: SessionScope) =>
  ctx.viewer.kind === 'user' && STEP[ctx.viewer.session.scope] >= STEP[minimum];

/** A signed-in user whose session is FULL (the consent pipeline's last step). */
export const sessionReachesFull = (ctx: Pick<Context, 'viewer'>) => sessionReaches(ctx, 'FULL');

/**
 * The signed-in caller. The field's `authScopes` (user or session scope) already refused anyone
 * else with UNAUTHENTICATED, FORBIDDEN or CONSENT_REQUIRED; arriving here without a user means
 * the declaration is missing, and the request fails closed.
 */
export function signedIn(ctx: Pick<Context, 'viewer'>): { user: User; session: AppSession } {
  if (ctx.viewer.kind !== 'user') throw new Error('A user-only resolver ran without a user: declare authScopes on its field');
  return ctx.viewer;
}

/** The operator key calling. Its field's `authScopes` (operator scope) already checked the permission. */
export function operatorKey(ctx: Pick<Context, 'viewer'>) {
  if (ctx.viewer.kind !== 'operator') throw new Error('An operator-only resolver ran without an API key: declare authScopes on its field');
  return ctx.viewer;
}

/** The caller's role in a collective, or null (not a member, not a user). Loaded with the viewer: no query. */
export const roleIn = (ctx: Pick<Context, 'viewer'>, collectiveId: string): MembershipRole | null =>
  ctx.viewer.kind === 'user' ? (ctx.viewer.roles.get(collectiveId) ?? null) : null;

/** Whether the caller is OWNER or ADMIN of this collective. */
export const isManagerOf = (ctx: Pick<Context, 'viewer'>, collectiveId: string) => isManagerRole(roleIn(ctx, collectiveId));

/** The collectives the caller manages (OWNER or ADMIN): for rules written as SQL. */
export const managedCollectiveIds = (ctx: Pick<Context, 'viewer'>): string[] =>
  ctx.viewer.kind === 'user' ? [...ctx.viewer.roles].filter(([, role]) => isManagerRole(role)).map(([id]) => id) : [];

/** Whether the caller gave parental consent for this teenager (a parent sees them). */
export const consentedFor = (ctx: Pick<Context, 'viewer'>, userId: string) => ctx.viewer.kind === 'user' && ctx.viewer.consentedFor.has(userId);

/** What this module remembers for one request besides the viewer: other users' roles, and memberships seen. */
interface Facts {
  /** userId -> (collectiveId -> role), every collective of each user; batched. The viewer's own come from the viewer. */
  roles: DataLoader<string, Map<string, MembershipRole>>;
  /** userId -> collectiveIds seen in membership rows this request (partial, never authoritative for absence). */
  seen: Map<string, Set<string>>;
}

// Per request: created on first use, dropped with the request's other state (context.ts,
// releaseRequestState).
const facts = requestCache(
  (ctx: Pick<Context, 'prisma'>): Facts => ({
    roles: new DataLoader(async (userIds) => {
      const rows = await ctx.prisma.collectiveMembership.findMany({
        where: { userId: { in: [...userIds] } },
        select: { userId: true, collectiveId: true, role: true },
      });
      const byUser = new Map(userIds.map((id) => [id, new Map<string, MembershipRole>()]));
      for (const r of rows) byUser.get(r.userId)?.set(r.collectiveId, r.role);
      return userIds.map((id) => byUser.get(id)!);
    }),
    seen: new Map(),
  }),
);

/** collectiveId -> role for every collective `userId` belongs to. The caller's own: no query; others' batched per request. */
export async function rolesOf(ctx: Pick<Context, 'viewer' | 'prisma'>, userId: string): Promise<ReadonlyMap<string, MembershipRole>> {
  if (ctx.viewer.kind === 'user' && ctx.viewer.user.id === userId) return ctx.viewer.roles;
  return facts(ctx).roles.load(userId);
}

/** Notes a membership row read this request, so managesUser can often answer without a query. */
export function sawMembership(ctx: Pick<Context, 'prisma'>, userId: string, collectiveId: string) {
  const { seen } = facts(ctx);
  let set = seen.get(userId);
  if (!set) seen.set(userId, (set = new Set()));
  set.add(collectiveId);
}

/** Whether the caller is OWNER or ADMIN of a collective this user belongs to (being this user is a separate rule). */
export async function managesUser(ctx: Pick<Context, 'viewer' | 'prisma'>, userId: string) {
  if (ctx.viewer.kind !== 'user') return false;
  // Membership rows already seen in this request often answer without a query.
  for (const collectiveId of facts(ctx).seen.get(userId) ?? []) if (isManagerOf(ctx, collectiveId)) return true;
  for (const collectiveId of (await rolesOf(ctx, userId)).keys()) if (isManagerOf(ctx, collectiveId)) return true;
  return false;
}

/** A committed write that changed one of the caller's facts (see `changed`). */
export type CallerChange =
  /** A user signed in: the rest of the request runs as them. */
  | { kind: 'signedIn'; viewer: Viewer }
  /** The caller's own session was ended (signOut, signOutEverywhere): the rest of the request is anonymous. */
  | { kind: 'signedOut' }
  /** `userId`'s role in a collective is now `role` (null: no longer a member). Any user, the caller or another. */
  | { kind: 'role'; userId: string; collectiveId: string; role: MembershipRole | null }
  /** A session as the transaction left it (its scope may have moved); ignored unless it is the caller's. */
  | { kind: 'session'; session: AppSession | null }
  /** The caller's profile columns the write set. */
  | { kind: 'profile'; user: Partial<User> }
  /** The caller gave (true) or withdrew (false) parental consent for a teenager. */
  | { kind: 'parentalConsent'; teenagerId: string; given: boolean }
  /** `userId` accepted the terms (their terms consent, as loaders.consentByUser reads it). */
  | { kind: 'termsAccepted'; userId: string };

// The one place the viewer is replaced (the Context type marks it read-only for everyone else).
const setViewer = (ctx: Context, viewer: Viewer) => {
  (ctx as { viewer: Viewer }).viewer = viewer;
};

// Pothos caches, per request, the scope functions built from the caller (scopesFor captures
// whether there is a user) and each scope's answer (`session: 'FULL'`, `managerOf: <id>`, another
// user's included): after any change they may be the old answers, and a later field would pass on
// what was true before the write. Only a mutation's root resolver (root fields run one after the
// other) or a subscription between events changes the facts, so no field is mid-check meanwhile.
const forgetScopeAnswers = (ctx: Context) => RequestCache.clearForContext(ctx);

/**
 * After a committed write that changed one of the caller's facts: this request's view follows, so
 * payload fields and later root fields see the new state. Call it after the transaction, never
 * inside (a rollback would leave the request believing what was not written).
 */
export function changed(ctx: Context, change: CallerChange) {
  const { viewer } = ctx;
  forgetScopeAnswers(ctx);
  switch (change.kind) {
    case 'signedIn':
      setViewer(ctx, change.viewer);
      return;
    case 'signedOut':
      setViewer(ctx, anonymous);
      return;
    case 'role': {
      if (change.role === null) facts(ctx).seen.get(change.userId)?.delete(change.collectiveId);
      if (viewer.kind !== 'user' || viewer.user.id !== change.userId) {
        // Another user's roles: reload on next use rather than guess.
        facts(ctx).roles.clear(change.userId);
        return;
      }
      const roles = new Map(viewer.roles);
      if (change.role === null) roles.delete(change.collectiveId);
      else roles.set(change.collectiveId, change.role);
      setViewer(ctx, { ...viewer, roles });
      return;
    }
    case 'session':
      if (change.session && viewer.kind === 'user' && viewer.session.id === change.session.id) setViewer(ctx, { ...viewer, session: change.session });
      return;
    case 'profile':
      if (viewer.kind === 'user') setViewer(ctx, { ...viewer, user: { ...viewer.user, ...change.user } });
      return;
    case 'parentalConsent': {
      if (viewer.kind !== 'user') return;
      const consented = new Set(viewer.consentedFor);
      if (change.given) consented.add(change.teenagerId);
      else consented.delete(change.teenagerId);
      setViewer(ctx, { ...viewer, consentedFor: consented });
      return;
    }
    case 'termsAccepted':
      ctx.loaders.consentByUser.clear(change.userId);
      return;
  }
}

/** The caller's session as this transaction sees it (after a write that may have moved its scope); null unless a user. */
export async function currentSession(ctx: Pick<Context, 'viewer'>, tx: Prisma.TransactionClient) {
  if (ctx.viewer.kind !== 'user') return null;
  return tx.appSession.findUniqueOrThrow({ where: { id: ctx.viewer.session.id } });
}

/**
 * Before a subscription's next event: the caller as the database says now (its session may have
 * ended or changed scope, its roles moved, its key been revoked), with fresh loaders so nothing
 * cached from earlier events answers: ours (Loaders, other users' roles) and every Pothos cache
 * (scope answers, the dataloader plugin's loadable fields such as messageCount, which otherwise
 * kept the first event's values for the stream's whole life). An event's execution is over when
 * the next one is refreshed (the stream hands over one event at a time). False when the caller
 * may no longer be served at all.
 */
export async function refreshCaller(ctx: Context): Promise<boolean> {
  const viewer = await ctx.liveViewer(ctx.viewer);
  if (!viewer) return false;
  const writable = ctx as { requestTime: Date; loaders: Loaders };
  writable.requestTime = new Date();
  writable.loaders = new Loaders(ctx);
  releaseRequestState(ctx);
  setViewer(ctx, viewer);
  return true;
}

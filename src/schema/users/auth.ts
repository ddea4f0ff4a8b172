// Who sees a user: themselves, the owners and admins of a collective they belong to, and
// operators allowed to list users. Fellow plain members see only the member list.
import { hasPermission, viewerUserId, type Context } from '../../context.ts';
import { sqlOr, visibleTo } from '../../visibility.ts';

export async function managesUser(ctx: Context, userId: string) {
  const me = viewerUserId(ctx);
  if (!me) return false;
  const mine = await ctx.loaders.rolesByUser.load(me);
  const manages = (collectiveId: string) => {
    const role = mine.get(collectiveId);
    return role === 'OWNER' || role === 'ADMIN';
  };
  // Membership rows already seen in this request often answer without a query.
  for (const collectiveId of ctx.loaders.seenMemberships.get(userId) ?? []) if (manages(collectiveId)) return true;
  const theirs = await ctx.loaders.rolesByUser.load(userId);
  for (const collectiveId of theirs.keys()) {
    if (manages(collectiveId)) return true;
  }
  return false;
}

/** A parent sees the teenagers they gave parental consent for. */
const consentedFor = (ctx: Context, userId: string) => ctx.viewer.kind === 'user' && ctx.viewer.consentedFor.has(userId);

export const canSeeUser = visibleTo<{ id: string }>(
  'User',
  (user, ctx) => viewerUserId(ctx) === user.id || hasPermission(ctx, 'users:read') || consentedFor(ctx, user.id) || managesUser(ctx, user.id),
  {
    // A missing user's memberships are looked up as a hidden user's are.
    missing: (id) => ({ id }),
    // The same four ways, as SQL; the viewer's own roles are the ones loaded with the viewer.
    sql: (ctx, u, param) => {
      const me = viewerUserId(ctx);
      const consented = ctx.viewer.kind === 'user' ? [...ctx.viewer.consentedFor] : [];
      const managed = ctx.viewer.kind === 'user' ? [...ctx.viewer.roles].filter(([, role]) => role === 'OWNER' || role === 'ADMIN').map(([id]) => id) : [];
      return sqlOr(
        me ? `${u}.id = ${param(me)}::uuid` : 'FALSE',
        hasPermission(ctx, 'users:read') ? 'TRUE' : 'FALSE',
        consented.length ? `${u}.id = ANY(${param(consented)}::uuid[])` : 'FALSE',
        managed.length
          ? `EXISTS (SELECT 1 FROM app.collective_membership m WHERE m.user_id = ${u}.id AND m.collective_id = ANY(${param(managed)}::uuid[]))`
          : 'FALSE',
      );
    },
  },
);

export const canSeeSession = visibleTo<{ userId: string }>('AppSession', (session, ctx) => viewerUserId(ctx) === session.userId);

// Who sees a user: themselves, the owners and admins of a collective they belong to, the parent
// who gave them parental consent, and operators allowed to list users. Fellow plain members see
// only the member list. The caller's facts these rules test are auth/caller.ts's.
import { sqlOr, visibleTo } from '../../visibility.ts';
import { consentedFor, hasPermission, managedCollectiveIds, managesUser, viewerUserId } from '../../auth/caller.ts';

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
      const managed = managedCollectiveIds(ctx);
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

// Collectives are seen by their members; invitations by the collective's owners and admins and
// by their inviter; operators with the matching permission see all. The caller's roles come from
// auth/caller.ts (loaded with the viewer: these checks run no query).
import { visibleTo } from '../../visibility.ts';
import { hasPermission, isManagerOf, roleIn, sawMembership, viewerUserId } from '../../auth/caller.ts';

export const canSeeCollective = visibleTo<{ id: string }>('Collective', (c, ctx) => hasPermission(ctx, 'collectives:read') || roleIn(ctx, c.id) !== null);

export const canSeeMembership = visibleTo<{ collectiveId: string; userId: string }>('CollectiveMembership', (m, ctx) => {
  sawMembership(ctx, m.userId, m.collectiveId);
  return viewerUserId(ctx) === m.userId || hasPermission(ctx, 'collectives:read') || roleIn(ctx, m.collectiveId) !== null;
});

export const canSeeInvitation = visibleTo<{ collectiveId: string; inviterId: string }>(
  'Invitation',
  (inv, ctx) => viewerUserId(ctx) === inv.inviterId || hasPermission(ctx, 'collectives:read') || isManagerOf(ctx, inv.collectiveId),
);

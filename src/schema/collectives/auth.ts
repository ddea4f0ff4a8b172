// Collectives are seen by their members; invitations by the collective's owners and admins and
// by their inviter; operators with the matching permission see all.
import { hasPermission, viewerUserId, type Context } from '../../context.ts';
import { visibleTo } from '../../visibility.ts';
import type { MembershipRole } from '../../generated/prisma/client.ts';

export async function roleIn(ctx: Context, collectiveId: string): Promise<MembershipRole | null> {
  const me = viewerUserId(ctx);
  if (!me) return null;
  return (await ctx.loaders.rolesByUser.load(me)).get(collectiveId) ?? null;
}

export const isManagerRole = (role: MembershipRole | null) => role === 'OWNER' || role === 'ADMIN';

export const canSeeCollective = visibleTo<{ id: string }>(
  'Collective',
  async (c, ctx) => hasPermission(ctx, 'collectives:read') || (await roleIn(ctx, c.id)) !== null,
);

export const canSeeMembership = visibleTo<{ collectiveId: string; userId: string }>(
  'CollectiveMembership',
  async (m, ctx) => {
    ctx.loaders.noteMembership(m.userId, m.collectiveId);
    return viewerUserId(ctx) === m.userId || hasPermission(ctx, 'collectives:read') || (await roleIn(ctx, m.collectiveId)) !== null;
  },
);

export const canSeeInvitation = visibleTo<{ collectiveId: string; inviterId: string }>(
  'Invitation',
  async (inv, ctx) =>
    viewerUserId(ctx) === inv.inviterId || hasPermission(ctx, 'collectives:read') || isManagerRole(await roleIn(ctx, inv.collectiveId)),
);

import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { isServableId } from '../../visibility.ts';
import { CollectiveTypeEnum, MembershipRoleEnum } from '../enums.ts';
import { canSeeCollective } from './auth.ts';
import { MANAGER_ROLES } from '../../auth/caller.ts';
import type { MembershipRole } from '../../generated/prisma/client.ts';
import { relationConnection } from '../connections.ts';
import { dateKey, uuidKey } from '../pagination.ts';

export const CollectiveNode = builder.prismaNode('Collective', {
  description: 'A group of users: a FAMILY, a SCHOOL, a CLASS (under a school) or OTHER. Members have a role (OWNER, ADMIN, MEMBER). Seen by its members and by operators holding collectives:read.',
  id: { field: 'id' },
  authScopes: (collective, ctx) => canSeeCollective(collective, ctx),
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.expose('type', { type: CollectiveTypeEnum }),
    parentalConsentGranted: t.exposeBoolean('parentalConsentGranted', {
      description: 'A parent granted consent for every minor in this collective.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    parent: t.relation('parent', { nullable: true }),
    children: t.relation('children', { query: { orderBy: [{ name: 'asc' }, { id: 'asc' }] } }),
    members: relationConnection<{ role?: MembershipRole | null }>(t, 'memberships', {
      type: 'CollectiveMembership',
      order: [dateKey('createdAt', 'asc'), uuidKey('id', 'asc')],
      totalCount: true,
      description: 'Oldest membership first.',
      args: { role: t.arg({ type: MembershipRoleEnum, required: false }) },
      where: (args) => (args.role ? { role: args.role } : {}),
    }),
    invitations: relationConnection(t, 'invitations', {
      type: 'Invitation',
      order: [dateKey('createdAt', 'desc'), uuidKey('id', 'desc')],
      totalCount: true,
      description: 'Owners and admins only. Newest first.',
      authScopes: (collective: { id: string }) => ({
        $any: { collectiveRole: { collectiveId: collective.id, roles: MANAGER_ROLES }, operator: 'collectives:read' },
      }),
    }),
  }),
});

builder.queryField('collective', (t) =>
  t.prismaField({
    authScopes: { authenticated: true },
    type: 'Collective',
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: CollectiveNode }) },
    resolve: async (query, _root, { id }, ctx) => {
      // A key that cannot name a row is missing, like any other: no query, the same NOT_FOUND.
      if (!isServableId('Collective', id.id, ctx)) throw notFound();
      const collective = await ctx.prisma.collective.findUnique({ ...query, where: { id: id.id } });
      if (!collective || !(await canSeeCollective(collective, ctx))) throw notFound();
      return collective;
    },
  }),
);

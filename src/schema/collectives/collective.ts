import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { CollectiveTypeEnum, MembershipRoleEnum } from '../enums.ts';
import { canSeeCollective } from './auth.ts';

export const CollectiveNode = builder.prismaNode('Collective', {
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
    members: t.relatedConnection('memberships', {
      cursor: 'id',
      totalCount: true,
      args: { role: t.arg({ type: MembershipRoleEnum, required: false }) },
      query: (args) => ({
        where: args.role ? { role: args.role } : {},
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
    }),
    invitations: t.relatedConnection('invitations', {
      cursor: 'id',
      totalCount: true,
      description: 'Owners and admins only.',
      authScopes: (collective) => ({
        $any: { collectiveRole: { collectiveId: collective.id, roles: ['OWNER', 'ADMIN'] }, operator: 'collectives:read' },
      }),
      query: { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] },
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
      const collective = await ctx.prisma.collective.findUnique({ ...query, where: { id: id.id } });
      if (!collective || !(await canSeeCollective(collective, ctx))) throw notFound();
      return collective;
    },
  }),
);

import { builder } from '../../builder.ts';
import type { Collective } from '../../generated/prisma/client.ts';
import { signedIn } from '../mutation-helpers.ts';
import { notFound } from '../../errors.ts';
import { AgeClassEnum, ConversationTypeEnum, UserTypeEnum } from '../enums.ts';
import { canSeeUser } from './auth.ts';
import { CollectiveNode } from '../collectives/collective.ts';

export const UserNode = builder.prismaNode('User', {
  id: { field: 'id' },
  authScopes: (user, ctx) => canSeeUser(user, ctx),
  fields: (t) => ({
    userType: t.expose('userType', { type: UserTypeEnum }),
    language: t.expose('language', { type: 'LanguageCode', nullable: true }),
    ageClass: t.expose('ageClass', { type: AgeClassEnum, nullable: true }),
    country: t.expose('country', { type: 'CountryCode', nullable: true }),
    school: t.exposeString('school', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),

    // Conversations are private to their owner, also from parents and teachers.
    conversations: t.relatedConnection('conversations', {
      cursor: 'id',
      totalCount: true,
      authScopes: (user) => ({ $any: { self: user.id, operator: 'conversations:read' } }),
      args: { type: t.arg({ type: ConversationTypeEnum, required: false }) },
      query: (args) => ({
        where: args.type ? { conversationType: args.type } : {},
        orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      }),
    }),
    memberships: t.relation('memberships', {
      authScopes: (user) => ({ $any: { self: user.id, operator: 'users:read' } }),
      query: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
    }),
    collectives: t.field({
      type: [CollectiveNode],
      authScopes: (user) => ({ $any: { self: user.id, operator: 'users:read' } }),
      // Through the membership rows, in the same query as the user: no per-user round trip.
      select: (_args, _ctx, nested) => ({
        memberships: { select: { collective: nested(true) }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
      }),
      resolve: (user) => (user as unknown as { memberships: { collective: Collective }[] }).memberships.map((m) => m.collective),
    }),
    sessions: t.relation('sessions', {
      authScopes: (user) => ({ self: user.id }),
      description: 'Your own live sessions, newest first.',
      query: (_args, ctx) => ({ where: { expiresAt: { gt: ctx.requestTime } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    }),
    hasConsented: t.boolean({
      description: 'Whether the user accepted the terms.',
      authScopes: (user) => ({ $any: { managerOf: user.id, operator: 'users:read' } }),
      resolve: async (user, _args, ctx) => (await ctx.loaders.consentByUser.load(user.id)) !== null,
    }),
    consentedAt: t.field({
      type: 'DateTime',
      nullable: true,
      authScopes: (user) => ({ $any: { managerOf: user.id, operator: 'users:read' } }),
      resolve: (user, _args, ctx) => ctx.loaders.consentByUser.load(user.id),
    }),
    parentalConsents: t.relation('parentalConsents', {
      description: 'Consents given by parents for this teenager.',
      authScopes: (user) => ({ $any: { managerOf: user.id, operator: 'users:read' } }),
      query: { orderBy: [{ createdAt: 'asc' }, { parentId: 'asc' }] },
    }),
  }),
});

builder.queryFields((t) => ({
  me: t.prismaField({
    type: 'User',
    nullable: true,
    description: 'The signed-in user, or null when anonymous or called with an API key.',
    // Declared rather than tested in the resolver: a caller who is not a user gets null, and the
    // query planned for the selection is never built (it would be "unused" and fail).
    authScopes: { user: true },
    unauthorizedResolver: () => null,
    resolve: (query, _root, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: signedIn(ctx).user.id } }),
  }),
  user: t.prismaField({
    authScopes: { authenticated: true },
    type: 'User',
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: UserNode }) },
    resolve: async (query, _root, { id }, ctx) => {
      const user = await ctx.prisma.user.findUnique({ ...query, where: { id: id.id } });
      if (!user || !(await canSeeUser(user, ctx))) throw notFound();
      return user;
    },
  }),
  users: t.prismaConnection({
    type: 'User',
    cursor: 'id',
    description: 'Every user, oldest first. Operators with the users:read permission only.',
    authScopes: { operator: 'users:read' },
    totalCount: (_conn, _args, ctx) => ctx.prisma.user.count(),
    resolve: (query, _root, _args, ctx) => ctx.prisma.user.findMany({ ...query, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
  }),
}));

import { builder } from '../../builder.ts';
import type { Collective, ConversationType } from '../../generated/prisma/client.ts';
import { notFound } from '../../errors.ts';
import { isServableId, probeMissing } from '../../visibility.ts';
import { AgeClassEnum, ConversationTypeEnum, UserTypeEnum } from '../enums.ts';
import { canSeeUser } from './auth.ts';
import { CollectiveNode } from '../collectives/collective.ts';
import { relationConnection, rootConnection } from '../connections.ts';
import { CONVERSATION_ORDER, USER_ORDER } from './orders.ts';
import { readFast } from '../../read-path/index.ts';
import { signedIn } from '../../auth/caller.ts';
import { queryFromInfo } from '@pothos/plugin-prisma';

export const UserNode = builder.prismaNode('User', {
  description: 'A teenager or a parent (teachers are parents). Seen by themselves, the parent who consented for them, OWNERs and ADMINs of a collective they share, and operators holding users:read; fellow members see them only in member lists.',
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
    conversations: relationConnection<{ type?: ConversationType | null }>(t, 'conversations', {
      type: 'Conversation',
      order: CONVERSATION_ORDER,
      totalCount: true,
      description: 'Most recently updated first.',
      authScopes: (user: { id: string }) => ({ $any: { self: user.id, operator: 'conversations:read' } }),
      args: { type: t.arg({ type: ConversationTypeEnum, required: false }) },
      where: (args) => (args.type ? { conversationType: args.type } : {}),
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
  me: t.field({
    type: UserNode,
    nullable: true,
    description: 'The signed-in user, or null when anonymous or called with an API key.',
    // Declared rather than tested in the resolver: a caller who is not a user gets null.
    authScopes: { user: true },
    unauthorizedResolver: () => null,
    resolve: async (_root, _args, ctx, info) => {
      const fast = await readFast('me', ctx, info);
      if (fast !== undefined) return fast as never;
      // Planned only here, not before the fast read (as a prismaField would): walking the
      // selection for Prisma was 3 % of a fast `me` read's allocations and CPU.
      return ctx.prisma.user.findUnique({ ...queryFromInfo({ context: ctx, info }), where: { id: signedIn(ctx).user.id } });
    },
  }),
  user: t.prismaField({
    authScopes: { authenticated: true },
    type: 'User',
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: UserNode }) },
    resolve: async (query, _root, { id }, ctx) => {
      // A key that cannot name a row is missing, like any other: no query, the same NOT_FOUND.
      if (!isServableId('User', id.id, ctx)) throw notFound();
      const user = await ctx.prisma.user.findUnique({ ...query, where: { id: id.id } });
      if (!user) await probeMissing('User', id.id, ctx);
      if (!user || !(await canSeeUser(user, ctx))) throw notFound();
      return user;
    },
  }),
  users: rootConnection(t, {
    type: UserNode,
    typeName: 'User',
    order: USER_ORDER,
    // The tree under it, when the fast read path knows the selection and the viewer (src/read-path).
    fastRead: (ctx, info) => readFast('users', ctx, info),
    description: 'Every user, oldest first. Operators with the users:read permission only.',
    authScopes: { operator: 'users:read' },
    findMany: (ctx, query) => ctx.prisma.user.findMany(query),
    count: (ctx) => ctx.prisma.user.count(),
  }),
}));

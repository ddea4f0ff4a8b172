import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { isServableId } from '../../visibility.ts';
import { ConversationTypeEnum } from '../enums.ts';
import { canSeeConversation } from './auth.ts';
import { relationConnection } from '../connections.ts';
import { CHAT_SESSION_ORDER } from './orders.ts';

export const ConversationNode = builder.prismaNode('Conversation', {
  description: 'A teenager\'s conversation with the companion, made of chat sessions. Private to the teenager (not parents, not teachers); operators holding conversations:read see metadata, never the title or messages.',
  id: { field: 'id' },
  authScopes: (conversation, ctx) => canSeeConversation(conversation, ctx),
  fields: (t) => ({
    // Title and summary say what the teenager talked about: content, not metadata. Only the
    // owner reads them; operators holding conversations:read get FORBIDDEN on these fields.
    title: t.exposeString('title', { nullable: true, authScopes: (c) => ({ self: c.userId }) }),
    conversationType: t.expose('conversationType', { type: ConversationTypeEnum }),
    summary: t.exposeString('summary', { nullable: true, authScopes: (c) => ({ self: c.userId }), description: 'Rolling summary kept by the companion. Owner only.' }),
    currentMonster: t.exposeString('currentMonster', { nullable: true, description: 'The companion persona in use, e.g. "betty".' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    user: t.relation('user'),
    chatSessions: relationConnection(t, 'chatSessions', {
      type: 'ChatSession',
      order: CHAT_SESSION_ORDER,
      totalCount: true,
      description: 'Oldest first.',
    }),
  }),
});

builder.queryField('conversation', (t) =>
  t.prismaField({
    authScopes: { authenticated: true },
    type: 'Conversation',
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: ConversationNode }) },
    resolve: async (query, _root, { id }, ctx) => {
      // A key that cannot name a row is missing, like any other: no query, the same NOT_FOUND.
      if (!isServableId('Conversation', id.id, ctx)) throw notFound();
      const conversation = await ctx.prisma.conversation.findUnique({ ...query, where: { id: id.id } });
      if (!conversation || !(await canSeeConversation(conversation, ctx))) throw notFound();
      return conversation;
    },
  }),
);

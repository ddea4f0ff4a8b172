import { builder } from '../../builder.ts';
import { updateOwnConversation } from './rules.ts';
import { inTransaction } from '../../db/transaction.ts';
import { signedIn } from '../../auth/caller.ts';
import { rowId } from '../../input/fields.ts';
import { ConversationNode } from './conversation.ts';

const StartChatSessionInput = builder.inputType('StartChatSessionInput', {
  description: 'Input of startChatSession: one of your conversations.',
  fields: (t) => ({
    conversationId: t.globalID({ for: ConversationNode, required: true, description: 'Global ID of one of your conversations.', validate: rowId('Conversation') }),
  }),
});

interface Result {
  conversationId: string;
  chatSessionId: string;
}

const StartChatSessionPayload = builder.objectRef<Result>('StartChatSessionPayload').implement({
  description: 'Result of startChatSession: the new chat session and its conversation (now first in your list).',
  fields: (t) => ({
    chatSession: t.prismaField({
      type: 'ChatSession',
      resolve: (query, p, _a, ctx) => ctx.prisma.chatSession.findUniqueOrThrow({ ...query, where: { id: p.chatSessionId } }),
    }),
    conversation: t.prismaField({
      type: 'Conversation',
      resolve: (query, p, _a, ctx) => ctx.prisma.conversation.findUniqueOrThrow({ ...query, where: { id: p.conversationId } }),
    }),
  }),
});

builder.mutationField('startChatSession', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: StartChatSessionPayload,
    description:
      'Opens a new chat session in one of your conversations and moves the conversation to the top (updatedAt). Needs a FULL session; NOT_FOUND for a conversation that is not yours.',
    args: { input: t.arg({ type: StartChatSessionInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const conversationId = args.input.conversationId.id;
      const chatSessionId = await inTransaction(ctx, async (tx) => {
        await updateOwnConversation(tx, user.id, conversationId, { updatedAt: new Date() });
        const chatSession = await tx.chatSession.create({ data: { conversationId }, select: { id: true } });
        return chatSession.id;
      });
      ctx.loaders.conversationOwner.prime(conversationId, user.id);
      return { conversationId, chatSessionId };
    },
  }),
);

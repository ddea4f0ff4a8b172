import { builder } from '../../builder.ts';
import { check } from '../../input/fields.ts';
import { ConversationTypeEnum } from '../enums.ts';
import { conversationTitle } from './rules.ts';
import { inTransaction } from '../../db/transaction.ts';
import { signedIn } from '../../auth/caller.ts';

const StartConversationInput = builder.inputType('StartConversationInput', {
  description: 'Input of startConversation.',
  fields: (t) => ({
    conversationType: t.field({ type: ConversationTypeEnum, required: true }),
    title: t.string({ required: false, description: 'Trimmed, 1 to 200 characters. Omit or pass null for no title.', validate: check(conversationTitle) }),
  }),
});

interface Result {
  conversationId: string;
  chatSessionId: string;
  ownerId: string;
}

const StartConversationPayload = builder.objectRef<Result>('StartConversationPayload').implement({
  description: 'Result of startConversation: the conversation, its first chat session, and you (for your conversations\' totalCount).',
  fields: (t) => ({
    conversation: t.prismaField({
      type: 'Conversation',
      resolve: (query, p, _a, ctx) => ctx.prisma.conversation.findUniqueOrThrow({ ...query, where: { id: p.conversationId } }),
    }),
    chatSession: t.prismaField({
      type: 'ChatSession',
      description: 'The first chat session of the conversation.',
      resolve: (query, p, _a, ctx) => ctx.prisma.chatSession.findUniqueOrThrow({ ...query, where: { id: p.chatSessionId } }),
    }),
    owner: t.prismaField({
      type: 'User',
      description:
        'You, after the change: select `conversations { totalCount }` (and the first page) here so a client cache shows the new conversation without a refetch.',
      resolve: (query, p, _a, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: p.ownerId } }),
    }),
  }),
});

builder.mutationField('startConversation', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: StartConversationPayload,
    description: 'Creates a conversation of the signed-in user with its first chat session. Needs a FULL session.',
    args: { input: t.arg({ type: StartConversationInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const input = args.input;
      const result = await inTransaction(ctx, async (tx) => {
        const conversation = await tx.conversation.create({
          data: { userId: user.id, conversationType: input.conversationType, title: input.title ?? null },
          select: { id: true },
        });
        const chatSession = await tx.chatSession.create({ data: { conversationId: conversation.id }, select: { id: true } });
        return { conversationId: conversation.id, chatSessionId: chatSession.id, ownerId: user.id };
      });
      ctx.loaders.conversationOwner.prime(result.conversationId, user.id);
      return result;
    },
  }),
);

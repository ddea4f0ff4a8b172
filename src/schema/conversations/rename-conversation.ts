import { builder } from '../../builder.ts';
import { conversationTitle, updateOwnConversation } from './rules.ts';
import { inTransaction } from '../../db/transaction.ts';
import { signedIn } from '../../auth/caller.ts';
import { check, rowId } from '../../input/fields.ts';
import { ConversationNode } from './conversation.ts';

const RenameConversationInput = builder.inputType('RenameConversationInput', {
  description: 'Input of renameConversation.',
  fields: (t) => ({
    conversationId: t.globalID({ for: ConversationNode, required: true, description: 'Global ID of one of your conversations.', validate: rowId('Conversation') }),
    title: t.string({ required: true, description: 'Trimmed, 1 to 200 characters.', validate: check(conversationTitle) }),
  }),
});

const RenameConversationPayload = builder.objectRef<{ conversationId: string }>('RenameConversationPayload').implement({
  description: 'Result of renameConversation: the conversation with its new title.',
  fields: (t) => ({
    conversation: t.prismaField({
      type: 'Conversation',
      resolve: (query, p, _a, ctx) => ctx.prisma.conversation.findUniqueOrThrow({ ...query, where: { id: p.conversationId } }),
    }),
  }),
});

builder.mutationField('renameConversation', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: RenameConversationPayload,
    description: 'Renames one of your conversations. Needs a FULL session; NOT_FOUND for a conversation that is not yours.',
    args: { input: t.arg({ type: RenameConversationInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const { conversationId: { id: conversationId }, title } = args.input;
      await inTransaction(ctx, (tx) => updateOwnConversation(tx, user.id, conversationId, { title }));
      ctx.loaders.conversationOwner.prime(conversationId, user.id);
      return { conversationId };
    },
  }),
);

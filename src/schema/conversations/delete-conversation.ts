import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { deleteConversationMessages } from '../../messages/outbox.ts';
import { deleteConversation, findOwnConversation } from './rules.ts';
import { inTransaction } from '../../db/transaction.ts';
import { signedIn } from '../../auth/caller.ts';
import { rowId } from '../../input/fields.ts';
import { ConversationNode } from './conversation.ts';

const DeleteConversationInput = builder.inputType('DeleteConversationInput', {
  description: 'Input of deleteConversation.',
  fields: (t) => ({
    conversationId: t.globalID({ for: ConversationNode, required: true, description: 'Global ID of one of your conversations.', validate: rowId('Conversation') }),
  }),
});

const DeleteConversationPayload = builder.objectRef<{ deletedConversationId: string; ownerId: string }>('DeleteConversationPayload').implement({
  description: 'What deleteConversation changed: the id to evict from a client cache, and the owner to refresh.',
  fields: (t) => ({
    deletedConversationId: t.globalID({ description: 'The global ID the conversation had.', resolve: (p) => ({ type: 'Conversation', id: p.deletedConversationId }) }),
    owner: t.prismaField({
      type: 'User',
      description:
        'You, after the deletion: select `conversations { totalCount }` (and the first page) here so a client cache drops the conversation without a refetch.',
      resolve: (query, p, _a, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: p.ownerId } }),
    }),
  }),
});

builder.mutationField('deleteConversation', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: DeleteConversationPayload,
    description:
      'Deletes one of your conversations with its chat sessions, for good. Needs a FULL session; NOT_FOUND for a conversation that is not yours or is already deleted.',
    args: { input: t.arg({ type: DeleteConversationInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const conversationId = args.input.conversationId.id;
      await inTransaction(ctx, async (tx) => {
        await findOwnConversation(tx, user.id, conversationId);
        // Gone between the check and the delete: a concurrent delete won.
        if (!(await deleteConversation(tx, conversationId))) throw notFound();
      });
      // Never throws and is bounded in time: a store that is down leaves the work to the outbox worker.
      await deleteConversationMessages(ctx, conversationId);
      ctx.loaders.conversationOwner.clear(conversationId);
      return { deletedConversationId: conversationId, ownerId: user.id };
    },
  }),
);

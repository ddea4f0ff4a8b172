import { z } from 'zod';
import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { check, rowId } from '../../input/fields.ts';
import type { Message } from '../../messages/types.ts';
import { MESSAGE_LIMITS } from '../../messages/types.ts';
import { signedIn } from '../../auth/caller.ts';
import { ChatSessionNode } from '../conversations/chat-session.ts';
import { MessageNode } from './message.ts';
import { appendToChatSession, findChatSession } from './rules.ts';

const text = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MESSAGE_LIMITS.userTextMax, `at most ${MESSAGE_LIMITS.userTextMax} characters`);

const SendMessageInput = builder.inputType('SendMessageInput', {
  description: 'Input of sendMessage: the teenager\'s message to one of their chat sessions.',
  fields: (t) => ({
    chatSessionId: t.globalID({ for: ChatSessionNode, required: true, description: 'One of your chat sessions.', validate: rowId('ChatSession') }),
    text: t.string({ required: true, description: `What you write: 1 to ${MESSAGE_LIMITS.userTextMax} characters.`, validate: check(text) }),
  }),
});

const SendMessagePayload = builder.objectRef<{ message: Message; conversationId: string }>('SendMessagePayload').implement({
  description: 'Result of sendMessage: the stored message.',
  fields: (t) => ({
    message: t.field({ type: MessageNode, resolve: (p) => p.message }),
    conversation: t.prismaField({
      type: 'Conversation',
      resolve: (q, p, _a, ctx) => ctx.prisma.conversation.findUniqueOrThrow({ ...q, where: { id: p.conversationId } }),
    }),
  }),
});

builder.mutationField('sendMessage', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: SendMessagePayload,
    description: "Writes a USER message into one of your own chat sessions and bumps the conversation's updatedAt. Needs a FULL session.",
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const input = args.input;
      const session = await findChatSession(ctx, input.chatSessionId.id);
      // Someone else's chat session looks exactly like a missing one.
      if (!session || session.userId !== user.id) throw notFound();
      const [message] = await appendToChatSession(ctx, session, [{ role: 'USER', text: input.text }]);
      return { message, conversationId: session.conversationId };
    },
  }),
);

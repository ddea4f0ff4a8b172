// messageAdded: a chat session's new messages as they are stored (sendMessage, appendMessages),
// on whichever instance wrote them. For the conversation's owner in a FULL session, and for the
// chatbot backend's API key holding messages:read: the readers of ChatSession.messages.
import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import { notFound } from '../../errors.ts';
import type { TopicRef } from '../../events/bus.ts';
import type { Message } from '../../messages/types.ts';
import { MessageNode } from '../messages/message.ts';
import { findChatSession } from '../messages/rules.ts';
import { hasPermission, refreshCaller, sessionReachesFull, viewerUserId } from '../../auth/caller.ts';
import { ChatSessionNode } from '../conversations/chat-session.ts';
import { rowId } from '../../input/fields.ts';

/** Whether the caller (as refreshed) reads this chat session's messages. */
const mayRead = (ctx: Context, ownerId: string) =>
  hasPermission(ctx, 'messages:read') || (viewerUserId(ctx) === ownerId && sessionReachesFull(ctx));

builder.subscriptionField('messageAdded', (t) =>
  t.field({
    type: MessageNode,
    description:
      'Each message stored into this chat session from now on, in transcript order, whichever instance stored it. For the ' +
      "conversation's owner in a FULL session, or an API key holding messages:read. NOT_FOUND for a chat session that is " +
      'missing or not yours. Checked again before every message: the subscription completes when the session ends, ' +
      'consent is withdrawn (the scope leaves FULL) or the key is revoked.',
    args: { chatSessionId: t.arg.globalID({ for: ChatSessionNode, required: true, description: 'The chat session to follow.', validate: rowId('ChatSession') }) },
    authScopes: { $any: { session: 'FULL', operator: 'messages:read' } },
    subscribe: async (_root, { chatSessionId }, ctx) => {
      const target = await findChatSession(ctx, chatSessionId.id);
      // Someone else's chat session looks exactly like a missing one.
      if (!target || !mayRead(ctx, target.userId)) throw notFound();
      const userId = viewerUserId(ctx);
      const topics: TopicRef[] = [{ topic: 'messagesAdded', id: target.id }];
      // A user's subscription also hears of their session changes, so sign-out or withdrawn consent end it at once.
      if (userId) topics.push({ topic: 'sessionsChanged', id: userId });
      return ctx.events.stream<Message>(topics, async (delivery) => {
        if (!(await refreshCaller(ctx)) || !mayRead(ctx, target.userId)) return 'end';
        if (delivery.topic !== 'messagesAdded') return [];
        return delivery.payload.messages.map((m) => ({ ...m, createdAt: new Date(m.createdAt) }));
      });
    },
    resolve: (message) => message,
  }),
);

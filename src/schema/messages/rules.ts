// What sendMessage and appendMessages share: finding the chat session, storing the messages,
// bumping the conversation's updatedAt, and announcing them to messageAdded subscribers.
import type { Context } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { deleteConversationMessages } from '../../messages/outbox.ts';
import type { Message, NewMessage } from '../../messages/types.ts';

export interface ChatSessionTarget {
  id: string;
  conversationId: string;
  /** The conversation's owner. */
  userId: string;
}

export async function findChatSession(ctx: Context, chatSessionId: string): Promise<ChatSessionTarget | null> {
  const row = await ctx.prisma.chatSession.findUnique({
    where: { id: chatSessionId },
    select: { id: true, conversationId: true, conversation: { select: { userId: true } } },
  });
  return row && { id: row.id, conversationId: row.conversationId, userId: row.conversation.userId };
}

type Content = Omit<NewMessage, 'conversationId' | 'chatSessionId' | 'userId' | 'createdAt'>;

/**
 * Appends to the session's transcript (the conversation owner's), then bumps the conversation's
 * updatedAt. The store is not transactional with PostgreSQL: when the conversation was deleted
 * meanwhile, its deletion may have run before these messages landed, so they are deleted again
 * (through the outbox if the store fails) and the caller gets NOT_FOUND.
 */
export async function appendToChatSession(ctx: Context, session: ChatSessionTarget, contents: Content[]): Promise<Message[]> {
  if (contents.length === 0) return [];
  const stored = await ctx.messages.append(
    contents.map((c) => ({ ...c, conversationId: session.conversationId, chatSessionId: session.id, userId: session.userId })),
  );
  const latest = stored[stored.length - 1].createdAt;
  const bumped = await ctx.prisma.conversation.updateMany({
    where: { id: session.conversationId, updatedAt: { lt: latest } },
    data: { updatedAt: latest },
  });
  if (bumped.count === 0 && !(await ctx.prisma.conversation.findUnique({ where: { id: session.conversationId }, select: { id: true } }))) {
    await deleteConversationMessages(ctx, session.conversationId);
    throw notFound();
  }
  // Stored and the conversation still there: messageAdded subscribers on every instance hear of it.
  ctx.events.publish({
    topic: 'messagesAdded',
    id: session.id,
    payload: { chatSessionId: session.id, conversationId: session.conversationId, userId: session.userId, messages: stored },
  });
  return stored;
}

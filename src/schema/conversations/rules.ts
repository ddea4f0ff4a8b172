// Writes on conversations, in one place. Reading follows canSeeConversation (owner, or an operator
// with conversations:read); writing is for the owner alone, and anything else is NOT_FOUND,
// exactly like a missing id.
import type { Prisma } from '../../generated/prisma/client.ts';
import { enqueueMessageDeletion } from '../../messages/outbox.ts';
import { notFound } from '../../errors.ts';
import { boundedText } from '../../input/fields.ts';

import type { Tx } from '../../db/transaction.ts';

/** A conversation title: trimmed, 1 to 200 characters. */
export const conversationTitle = boundedText(1, 200);

/**
 * Changes a conversation the user owns (and takes its row lock until the transaction ends), or
 * throws NOT_FOUND. Prisma's @updatedAt moves updatedAt unless data sets it.
 */
export async function updateOwnConversation(tx: Tx, ownerId: string, id: string, data: Prisma.ConversationUpdateManyMutationInput) {
  const { count } = await tx.conversation.updateMany({ where: { id, userId: ownerId }, data });
  if (count === 0) throw notFound();
}

/** The conversation if the user owns it, or NOT_FOUND. */
export async function findOwnConversation(tx: Tx, ownerId: string, id: string) {
  const conversation = await tx.conversation.findFirst({ where: { id, userId: ownerId }, select: { id: true, userId: true } });
  if (!conversation) throw notFound();
  return conversation;
}

/**
 * Deletes a conversation and everything that belongs to it, in the caller's transaction; false
 * when there was none. Chat sessions go by the foreign key's ON DELETE CASCADE. Every store that
 * keeps data of a conversation is cleaned up from here (the message store hooks in here), so no
 * caller can forget one.
 */
/**
 * Deletes a conversation and its chat sessions; its messages live in the message store, so the
 * same transaction records that they are owed a deletion (the outbox), which the caller then
 * attempts at once and the server's worker retries until it succeeds. Its analytics
 * (analytics.conversation_analytics and their categorizations) go in the same DELETE statement,
 * by ON DELETE CASCADE: erasure cannot be forgotten by any caller, nor half done.
 */
export async function deleteConversation(tx: Tx, id: string): Promise<boolean> {
  const { count } = await tx.conversation.deleteMany({ where: { id } });
  if (count > 0) await enqueueMessageDeletion(tx, id);
  return count > 0;
}

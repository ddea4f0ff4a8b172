// Writes one conversation's analytics as one chatbot version extracted them: an upsert on
// (conversation, chatbot version) that replaces the categories and keeps the membership snapshot of
// the conversation's first recording, in the caller's transaction. Recording the same input twice leaves the same rows.
import { randomUUID } from 'node:crypto';
import type { AnalyticsMood, AnswerType, CopingStrategy, MessageCategory } from '../generated/prisma/client.ts';

import type { Tx } from '../db/transaction.ts';

export interface ConversationAnalyticsInput {
  conversationId: string;
  chatbotVersion: string;
  language: string;
  bullyingMessage: string | null;
  summary: string | null;
  mood: AnalyticsMood | null;
  strategy: CopingStrategy | null;
  messages: { messageIndex: number; category: MessageCategory }[];
  moods: { messageIndex: number; mood: AnalyticsMood }[];
  strategies: { messageIndex: number; strategy: CopingStrategy }[];
  answerTypes: { messageIndex: number; answerType: AnswerType }[];
}

/** How far up the collective hierarchy the snapshot follows parents (class, school, network...). */
const MAX_ANCESTOR_DEPTH = 8;

/**
 * Records the analytics; null when the conversation does not exist. `created` is false when this
 * conversation and version had analytics already (they are replaced).
 */
export async function recordConversationAnalytics(tx: Tx, input: ConversationAnalyticsInput): Promise<{ id: string; created: boolean } | null> {
  // The row lock serializes every recording of one conversation (so a first recording of another
  // version sees this one's snapshot, committed) and orders it with a deletion: a conversation
  // deleted meanwhile is found missing here (NOT_FOUND) instead of failing the insert below on its
  // foreign key. NO KEY UPDATE leaves the conversation's other readers and key-sharers alone.
  const [conversation] = await tx.$queryRaw<{ userId: string; userType: string }[]>`
    SELECT c.user_id::text AS "userId", u.user_type::text AS "userType"
    FROM app.conversation c JOIN app."user" u ON u.id = c.user_id
    WHERE c.id = ${input.conversationId}::uuid
    FOR NO KEY UPDATE OF c`;
  if (!conversation) return null;

  // ON CONFLICT makes concurrent recordings of the same key wait for each other instead of failing;
  // xmax = 0 only on a freshly inserted row.
  const [row] = await tx.$queryRaw<{ id: string; created: boolean }[]>`
    INSERT INTO analytics.conversation_analytics
      (id, conversation_id, chatbot_version, bullying_message, summary, mood, strategy, language, created_at, recorded_at)
    VALUES (${randomUUID()}::uuid, ${input.conversationId}::uuid, ${input.chatbotVersion}, ${input.bullyingMessage}, ${input.summary},
      ${input.mood}::analytics.analytics_mood, ${input.strategy}::analytics.coping_strategy, ${input.language}, now(), now())
    ON CONFLICT (conversation_id, chatbot_version) DO UPDATE SET
      bullying_message = excluded.bullying_message, summary = excluded.summary, mood = excluded.mood,
      strategy = excluded.strategy, language = excluded.language, recorded_at = excluded.recorded_at
    RETURNING id::text AS id, (xmax = 0) AS created`;
  const analyticsId = row.id;

  if (!row.created) {
    // The membership snapshot stays: see below.
    await tx.$executeRaw`
      WITH m AS (DELETE FROM analytics.conversation_messages_categorized WHERE analytics_id = ${analyticsId}::uuid),
           mo AS (DELETE FROM analytics.conversation_moods_categorized WHERE analytics_id = ${analyticsId}::uuid),
           s AS (DELETE FROM analytics.conversation_strategies_categorized WHERE analytics_id = ${analyticsId}::uuid)
      DELETE FROM analytics.conversation_answer_types_categorized WHERE analytics_id = ${analyticsId}::uuid`;
  }
  const withId = <T extends object>(rows: T[]) => rows.map((r) => ({ ...r, analyticsId }));
  if (input.messages.length) await tx.conversationMessageCategorized.createMany({ data: withId(input.messages) });
  if (input.moods.length) await tx.conversationMoodCategorized.createMany({ data: withId(input.moods) });
  if (input.strategies.length) await tx.conversationStrategyCategorized.createMany({ data: withId(input.strategies) });
  if (input.answerTypes.length) await tx.conversationAnswerTypeCategorized.createMany({ data: withId(input.answerTypes) });

  // The snapshot is the memberships at the conversation's FIRST recording, kept by every later one
  // (same version or not). Re-taking it would move a conversation out of (or into) a collective's
  // view when its author left (or joined): reading the view before and after a re-recording would
  // then single out that one conversation.
  if (!row.created) return { id: analyticsId, created: false };
  const [earlier] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM analytics.conversation_analytics
    WHERE conversation_id = ${input.conversationId}::uuid AND id <> ${analyticsId}::uuid
    ORDER BY recorded_at, id LIMIT 1`;
  if (earlier) {
    await tx.$executeRaw`
      INSERT INTO analytics.conversation_analytics_collective (analytics_id, collective_id, direct)
      SELECT ${analyticsId}::uuid, collective_id, direct FROM analytics.conversation_analytics_collective
      WHERE analytics_id = ${earlier.id}::uuid`;
    return { id: analyticsId, created: true };
  }
  // Collective views count teenagers only: an adult's own conversations never enter a class climate.
  if (conversation.userType === 'TEENAGER') {
    await tx.$executeRaw`
      WITH RECURSIVE up (collective_id, direct, depth) AS (
        SELECT m.collective_id, true, 0 FROM app.collective_membership m WHERE m.user_id = ${conversation.userId}::uuid
        UNION ALL
        SELECT c.parent_id, false, up.depth + 1 FROM up JOIN app.collective c ON c.id = up.collective_id
        WHERE c.parent_id IS NOT NULL AND up.depth < ${MAX_ANCESTOR_DEPTH}
      )
      INSERT INTO analytics.conversation_analytics_collective (analytics_id, collective_id, direct)
      SELECT ${analyticsId}::uuid, collective_id, bool_or(direct) FROM up GROUP BY collective_id`;
  }
  return { id: analyticsId, created: row.created };
}

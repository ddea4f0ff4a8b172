// The PostgreSQL message store: the app.message table, through Prisma. The embedded default
// (PGlite) needs nothing else. Used when MONGODB_URL is not set.
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { Message, MessageCursor, MessagePage, MessageScope, MessageStore, NewMessage, ToolDataEntry } from './types.ts';
import { withTimestamps } from './types.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Row = Prisma.MessageGetPayload<true>;

function toMessage(row: Row): Message {
  return {
    id: row.id,
    conversationId: row.conversationId,
    chatSessionId: row.chatSessionId,
    userId: row.userId,
    role: row.role,
    text: row.text,
    createdAt: row.createdAt,
    toolData: (row.toolData as ToolDataEntry[] | null) ?? null,
    followUpActions: (row.followUpActions as string[] | null) ?? null,
    metadata: (row.metadata as Record<string, unknown> | null) ?? null,
  };
}

/** JSON columns: an absent value is left out, so the column is SQL NULL (not a JSON null). */
const json = (value: unknown) => (value == null ? (undefined as never) : (value as Prisma.InputJsonValue));

const afterCursor = (c: MessageCursor): Prisma.MessageWhereInput => ({
  OR: [{ createdAt: { gt: c.createdAt } }, { createdAt: c.createdAt, id: { gt: c.id } }],
});
const beforeCursor = (c: MessageCursor): Prisma.MessageWhereInput => ({
  OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }],
});

export function createPgMessageStore(prisma: PrismaClient): MessageStore {
  return {
    kind: 'postgres',
    async init() {
      // The table comes with the migrations.
    },

    async append(messages: readonly NewMessage[]) {
      if (messages.length === 0) return [];
      const rows = await prisma.message.createManyAndReturn({
        data: withTimestamps(messages).map((m) => ({
          conversationId: m.conversationId,
          chatSessionId: m.chatSessionId,
          userId: m.userId,
          role: m.role,
          text: m.text,
          createdAt: m.createdAt,
          toolData: json(m.toolData),
          followUpActions: json(m.followUpActions),
          metadata: json(m.metadata),
        })),
      });
      // RETURNING gives no order guarantee: restore the order of the call.
      return rows.map(toMessage).sort(compare);
    },

    async getMany(ids: readonly string[]) {
      const valid = ids.filter((id) => UUID.test(id));
      if (valid.length === 0) return [];
      return (await prisma.message.findMany({ where: { id: { in: valid } } })).map(toMessage);
    },

    async list(scope: MessageScope, page: MessagePage) {
      const and: Prisma.MessageWhereInput[] = [];
      if (page.after) and.push(afterCursor(page.after));
      if (page.before) and.push(beforeCursor(page.before));
      const direction = page.newestFirst ? 'desc' : 'asc';
      const rows = await prisma.message.findMany({
        where: { ...scope, AND: and },
        orderBy: [{ createdAt: direction }, { id: direction }],
        take: page.limit,
      });
      return rows.map(toMessage);
    },

    async countByConversation(conversationIds: readonly string[]) {
      const ids = conversationIds.filter((id) => UUID.test(id));
      const counts = new Map<string, number>();
      if (ids.length === 0) return counts;
      const rows = await prisma.message.groupBy({ by: ['conversationId'], where: { conversationId: { in: ids } }, _count: { _all: true } });
      for (const row of rows) counts.set(row.conversationId, row._count._all);
      return counts;
    },

    async lastByConversation(conversationIds: readonly string[]) {
      const ids = [...new Set(conversationIds.filter((id) => UUID.test(id)))];
      const last = new Map<string, Message>();
      if (ids.length === 0) return last;
      // One statement; each conversation's newest message is one step down its index.
      const rows = await prisma.$queryRaw<
        {
          id: string;
          conversation_id: string;
          chat_session_id: string;
          user_id: string;
          role: Message['role'];
          text: string;
          created_at: Date;
          tool_data: unknown;
          follow_up_actions: unknown;
          metadata: unknown;
        }[]
      >`
        SELECT m.id::text AS id, m.conversation_id::text AS conversation_id, m.chat_session_id::text AS chat_session_id,
               m.user_id::text AS user_id, m.role::text AS role, m.text, m.created_at, m.tool_data, m.follow_up_actions, m.metadata
        FROM unnest(${ids}::uuid[]) AS c(id)
        CROSS JOIN LATERAL (
          SELECT * FROM app.message WHERE conversation_id = c.id ORDER BY created_at DESC, id DESC LIMIT 1
        ) AS m`;
      for (const r of rows) {
        last.set(
          r.conversation_id,
          toMessage({
            id: r.id,
            conversationId: r.conversation_id,
            chatSessionId: r.chat_session_id,
            userId: r.user_id,
            role: r.role,
            text: r.text,
            createdAt: new Date(r.created_at),
            toolData: r.tool_data as Prisma.JsonValue,
            followUpActions: r.follow_up_actions as Prisma.JsonValue,
            metadata: r.metadata as Prisma.JsonValue,
          }),
        );
      }
      return last;
    },

    async deleteByConversation(conversationId: string) {
      if (!UUID.test(conversationId)) return 0;
      return (await prisma.message.deleteMany({ where: { conversationId } })).count;
    },

    isValidId: (id: string) => UUID.test(id),

    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },

    async close() {
      // The Prisma client belongs to the Database.
    },
  };
}

/** Transcript order: (createdAt, id). Ids compare as PostgreSQL compares uuids (lowercase hex). */
export function compare(a: Pick<Message, 'createdAt' | 'id'>, b: Pick<Message, 'createdAt' | 'id'>) {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

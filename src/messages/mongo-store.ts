// The MongoDB message store (seed 000): one document per message in the `messages` collection,
// through the official driver only. Used when MONGODB_URL is set.
//
// - One MongoClient per process (the factory makes one), with a bounded pool; close() ends it.
// - The collection handle is created on first use and reused.
// - _id is an ObjectId, exposed as its hex string; createdAt is a BSON date (UTC instant), read
//   back as a JS Date: no naive local times anywhere.
// - Indexes (chatSessionId, createdAt, _id) and (conversationId, createdAt, _id) are created by
//   init() at start-up; they serve every query below, (createdAt, _id) being the transcript order.
import { MongoClient, ObjectId, type Collection, type Filter } from 'mongodb';
import type { Message, MessageCursor, MessagePage, MessageScope, MessageStore, NewMessage, ToolDataEntry } from './types.ts';
import { withTimestamps } from './types.ts';

export const MESSAGES_COLLECTION = 'messages';

export interface MessageDocument {
  _id: ObjectId;
  conversationId: string;
  chatSessionId: string;
  userId: string;
  role: Message['role'];
  text: string;
  createdAt: Date;
  toolData: ToolDataEntry[] | null;
  followUpActions: string[] | null;
  metadata: Record<string, unknown> | null;
}

export interface MongoMessageStoreOptions {
  url: string;
  database: string;
  maxPoolSize: number;
  /** Server selection, connection and per-operation server time limit. */
  timeoutMs: number;
}

function toMessage(doc: MessageDocument): Message {
  return {
    id: doc._id.toHexString(),
    conversationId: doc.conversationId,
    chatSessionId: doc.chatSessionId,
    userId: doc.userId,
    role: doc.role,
    text: doc.text,
    createdAt: doc.createdAt,
    toolData: doc.toolData ?? null,
    followUpActions: doc.followUpActions ?? null,
    metadata: doc.metadata ?? null,
  };
}

const isObjectIdHex = (id: string) => /^[0-9a-f]{24}$/i.test(id);

const afterCursor = (c: MessageCursor): Filter<MessageDocument> => ({
  $or: [{ createdAt: { $gt: c.createdAt } }, { createdAt: c.createdAt, _id: { $gt: new ObjectId(c.id) } }],
});
const beforeCursor = (c: MessageCursor): Filter<MessageDocument> => ({
  $or: [{ createdAt: { $lt: c.createdAt } }, { createdAt: c.createdAt, _id: { $lt: new ObjectId(c.id) } }],
});

export function createMongoMessageStore(options: MongoMessageStoreOptions): MessageStore & { client: MongoClient } {
  const client = new MongoClient(options.url, {
    appName: 'youth-safety-graphql-api',
    maxPoolSize: options.maxPoolSize,
    minPoolSize: 0,
    // A store that is down fails fast instead of holding requests for the driver's 30 s default.
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    waitQueueTimeoutMS: options.timeoutMs,
    // A connection that stops answering is dropped (server-side work is bounded by maxTimeMS).
    socketTimeoutMS: options.timeoutMs * 3,
  });
  const maxTimeMS = options.timeoutMs;
  // Created on first use, then reused.
  let handle: Collection<MessageDocument> | undefined;
  const lazyCollection = () => (handle ??= client.db(options.database).collection<MessageDocument>(MESSAGES_COLLECTION));
  let indexes: Promise<void> | undefined;

  /**
   * Connects explicitly before each use. client.connect() returns at once when connected; it
   * matters after a failed first connection: the driver's implicit connect then leaves a closed
   * topology behind, and every later operation fails with MongoTopologyClosedError without
   * trying again (seen with driver 7.9), so a server started while MongoDB was down would never
   * recover. Connecting explicitly makes each retry a real attempt.
   */
  async function collection() {
    await client.connect();
    if (!indexes) init().catch(() => {}); // start-up could not create them (store down): retry
    return lazyCollection();
  }

  function init() {
    // Idempotent; a failed attempt is forgotten so the next call retries.
    indexes ??= client
      .connect()
      .then(() =>
        lazyCollection().createIndexes([
          { key: { chatSessionId: 1, createdAt: 1, _id: 1 }, name: 'chatSessionId_createdAt__id' },
          { key: { conversationId: 1, createdAt: 1, _id: 1 }, name: 'conversationId_createdAt__id' },
        ]),
      )
      .then(
        () => undefined,
        (err) => {
          indexes = undefined;
          throw err;
        },
      );
    return indexes;
  }

  return {
    kind: 'mongodb',
    client,
    init,

    async append(input: readonly NewMessage[]) {
      if (input.length === 0) return [];
      const docs: MessageDocument[] = withTimestamps(input).map((m) => ({
        _id: new ObjectId(),
        conversationId: m.conversationId,
        chatSessionId: m.chatSessionId,
        userId: m.userId,
        role: m.role,
        text: m.text,
        createdAt: m.createdAt,
        toolData: m.toolData ?? null,
        followUpActions: m.followUpActions ?? null,
        metadata: m.metadata ?? null,
      }));
      await (await collection()).insertMany(docs, { ordered: true });
      return docs.map(toMessage);
    },

    async getMany(ids: readonly string[]) {
      const valid = ids.filter(isObjectIdHex).map((id) => new ObjectId(id));
      if (valid.length === 0) return [];
      return (await (await collection()).find({ _id: { $in: valid } }, { maxTimeMS }).toArray()).map(toMessage);
    },

    async list(scope: MessageScope, page: MessagePage) {
      const and: Filter<MessageDocument>[] = [];
      if (page.after) and.push(afterCursor(page.after));
      if (page.before) and.push(beforeCursor(page.before));
      const filter: Filter<MessageDocument> = { ...scope, ...(and.length ? { $and: and } : {}) };
      const direction = page.newestFirst ? -1 : 1;
      const docs = await (await collection())
        .find(filter, { maxTimeMS })
        .sort({ createdAt: direction, _id: direction })
        .limit(page.limit)
        .toArray();
      return docs.map(toMessage);
    },

    async countByConversation(conversationIds: readonly string[]) {
      const counts = new Map<string, number>();
      if (conversationIds.length === 0) return counts;
      const rows = await (await collection())
        .aggregate<{ _id: string; count: number }>(
          [{ $match: { conversationId: { $in: [...new Set(conversationIds)] } } }, { $group: { _id: '$conversationId', count: { $sum: 1 } } }],
          { maxTimeMS },
        )
        .toArray();
      for (const row of rows) counts.set(row._id, row.count);
      return counts;
    },

    async lastByConversation(conversationIds: readonly string[]) {
      const last = new Map<string, Message>();
      if (conversationIds.length === 0) return last;
      // The sort is the conversation index read backwards, so $group's $first takes each
      // conversation's newest message without sorting in memory.
      const rows = await (await collection())
        .aggregate<{ _id: string; message: MessageDocument }>(
          [
            { $match: { conversationId: { $in: [...new Set(conversationIds)] } } },
            { $sort: { conversationId: -1, createdAt: -1, _id: -1 } },
            { $group: { _id: '$conversationId', message: { $first: '$$ROOT' } } },
          ],
          { maxTimeMS },
        )
        .toArray();
      for (const row of rows) last.set(row._id, toMessage(row.message));
      return last;
    },

    async deleteByConversation(conversationId: string) {
      return (await (await collection()).deleteMany({ conversationId }, { maxTimeMS })).deletedCount;
    },

    isValidId: isObjectIdHex,

    async ping() {
      await client.connect();
      await client.db(options.database).command({ ping: 1 });
    },

    async close() {
      await client.close();
    },
  };
}

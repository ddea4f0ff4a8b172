// One contract for every MessageStore: PostgreSQL (the app.message table, on this run's database)
// always; MongoDB when MONGODB_URL names a server (each run in its own database, dropped after).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createPgMessageStore } from '../src/messages/pg-store.ts';
import { createMongoMessageStore } from '../src/messages/mongo-store.ts';
import type { Message, MessageStore, NewMessage } from '../src/messages/types.ts';

const mongoUrl = process.env.MONGODB_URL || undefined;

interface OpenedStore {
  store: MessageStore;
  cleanup(): Promise<void>;
}
interface StoreUnderTest {
  name: string;
  open(): Promise<OpenedStore>;
}

const stores: StoreUnderTest[] = [
  {
    name: `postgres (${dbKind})`,
    async open() {
      const db = await createTestDatabase();
      return { store: createPgMessageStore(db.prisma), cleanup: () => db.destroy() };
    },
  },
];

if (mongoUrl) {
  stores.push({
    name: 'mongodb',
    async open() {
      const database = `test_messages_${randomBytes(6).toString('hex')}`;
      const store = createMongoMessageStore({ url: mongoUrl, database, maxPoolSize: 4, timeoutMs: 5000 });
      await store.init().catch(async (err) => {
        await store.close();
        throw err;
      });
      return {
        store,
        async cleanup() {
          try {
            await store.client.db(database).dropDatabase();
          } finally {
            await store.close();
          }
        },
      };
    },
  });
} else {
  console.warn(
    '\n[messages-store] NOTICE: MONGODB_URL is not set, so the MongoDB message store contract suite is SKIPPED.\n' +
      '[messages-store] Only the PostgreSQL store was tested. To run it: MONGODB_URL=mongodb://127.0.0.1:27017 npx vitest run test/messages-store.test.ts\n',
  );
  describe.skip('MessageStore contract: mongodb (SKIPPED: MONGODB_URL is not set)', () => {
    it('runs the same contract against MongoDB', () => {});
  });
}

const at = (iso: string) => new Date(iso);

describe.each(stores)('MessageStore contract: $name', ({ open }) => {
  let opened: OpenedStore;
  let store: MessageStore;
  beforeAll(async () => {
    opened = await open();
    store = opened.store;
  });
  afterAll(() => opened?.cleanup());

  const ids = () => ({ conversationId: randomUUID(), chatSessionId: randomUUID(), userId: randomUUID() });
  const msg = (base: ReturnType<typeof ids>, text: string, extra: Partial<NewMessage> = {}): NewMessage => ({
    ...base,
    role: 'USER',
    text,
    ...extra,
  });
  const texts = (list: Message[]) => list.map((m) => m.text);

  it('appends in order and gives back every field, ids as strings, dates as instants', async () => {
    const c = ids();
    const stored = await store.append([
      msg(c, 'salut'),
      msg(c, 'Bonjour ! Comment ça va ?', {
        role: 'ASSISTANT',
        toolData: [{ name: 'knowledge_base_search', data: { hits: 2, ids: ['a', 'b'] }, timestamp: '2026-10-01T10:00:00.000Z' }],
        followUpActions: ['Raconte-moi', 'Pas maintenant'],
        metadata: { model: 'betty-1', tokens: 42, nested: { ok: true } },
      }),
      msg(c, 'tool output', { role: 'TOOL', toolData: null, metadata: null }),
    ]);
    expect(stored).toHaveLength(3);
    expect(texts(stored)).toEqual(['salut', 'Bonjour ! Comment ça va ?', 'tool output']);
    for (const m of stored) {
      expect(typeof m.id).toBe('string');
      expect(store.isValidId(m.id)).toBe(true);
      expect(m.createdAt).toBeInstanceOf(Date);
      expect(m).toMatchObject(c);
    }
    // createdAt strictly increases within a call: the order survives a reload.
    expect(stored[1].createdAt.getTime()).toBeGreaterThan(stored[0].createdAt.getTime());
    const [reloaded] = await store.getMany([stored[1].id]);
    expect(reloaded).toEqual(stored[1]);
    expect(reloaded.role).toBe('ASSISTANT');
    expect(reloaded.toolData).toEqual([{ name: 'knowledge_base_search', data: { hits: 2, ids: ['a', 'b'] }, timestamp: '2026-10-01T10:00:00.000Z' }]);
    expect(reloaded.followUpActions).toEqual(['Raconte-moi', 'Pas maintenant']);
    expect(reloaded.metadata).toEqual({ model: 'betty-1', tokens: 42, nested: { ok: true } });
    const [plain] = await store.getMany([stored[0].id]);
    expect(plain).toMatchObject({ toolData: null, followUpActions: null, metadata: null });
  });

  it('keeps the instant of a timezone-aware date to the millisecond', async () => {
    const c = ids();
    const instant = at('2026-03-29T01:30:00.123+02:00');
    const [m] = await store.append([msg(c, 'dst night', { createdAt: instant })]);
    const [back] = await store.getMany([m.id]);
    expect(back.createdAt.getTime()).toBe(instant.getTime());
    expect(back.createdAt.toISOString()).toBe('2026-03-28T23:30:00.123Z');
  });

  it('getMany ignores missing ids and ids of the wrong shape', async () => {
    const c = ids();
    const [m] = await store.append([msg(c, 'one')]);
    const found = await store.getMany([m.id, 'not-an-id', '', randomUUID(), '0123456789abcdef01234567']);
    expect(found.map((f) => f.id)).toEqual([m.id]);
    expect(await store.getMany([])).toEqual([]);
    expect(store.isValidId('not-an-id')).toBe(false);
  });

  it('lists a chat session oldest first, pages after and before a cursor, and newest first for `last`', async () => {
    const c = ids();
    const other = { ...c, chatSessionId: randomUUID() };
    const base = Date.UTC(2026, 9, 1, 8);
    await store.append(Array.from({ length: 7 }, (_, i) => msg(c, `m${i}`, { createdAt: new Date(base + i * 1000) })));
    await store.append([msg(other, 'other session', { createdAt: new Date(base + 3500) })]);

    const first = await store.list({ chatSessionId: c.chatSessionId }, { limit: 3 });
    expect(texts(first)).toEqual(['m0', 'm1', 'm2']);
    const next = await store.list({ chatSessionId: c.chatSessionId }, { limit: 3, after: first[2] });
    expect(texts(next)).toEqual(['m3', 'm4', 'm5']);
    const newest = await store.list({ chatSessionId: c.chatSessionId }, { limit: 2, newestFirst: true });
    expect(texts(newest)).toEqual(['m6', 'm5']);
    const older = await store.list({ chatSessionId: c.chatSessionId }, { limit: 2, newestFirst: true, before: newest[1] });
    expect(texts(older)).toEqual(['m4', 'm3']);
    const between = await store.list({ chatSessionId: c.chatSessionId }, { limit: 10, after: first[0], before: next[1] });
    expect(texts(between)).toEqual(['m1', 'm2', 'm3']);
    expect(await store.list({ chatSessionId: c.chatSessionId }, { limit: 10, after: newest[0] })).toEqual([]);
    // The conversation's transcript spans its chat sessions.
    const all = await store.list({ conversationId: c.conversationId }, { limit: 100 });
    expect(texts(all)).toEqual(['m0', 'm1', 'm2', 'm3', 'other session', 'm4', 'm5', 'm6']);
  });

  it('breaks ties on createdAt by id, so pages neither skip nor repeat messages', async () => {
    const c = ids();
    const same = at('2026-10-02T12:00:00.000Z');
    await store.append(Array.from({ length: 5 }, (_, i) => msg(c, `tie${i}`, { createdAt: same })));
    const expected = (await store.list({ chatSessionId: c.chatSessionId }, { limit: 100 })).map((m) => m.id);
    expect([...expected].sort()).toEqual(expected);
    const seen: string[] = [];
    let after: Message | undefined;
    for (;;) {
      const pageRows: Message[] = await store.list({ chatSessionId: c.chatSessionId }, { limit: 2, after });
      if (pageRows.length === 0) break;
      seen.push(...pageRows.map((m) => m.id));
      after = pageRows[pageRows.length - 1];
    }
    expect(seen).toEqual(expected);
    const backwards: string[] = [];
    let before: Message | undefined;
    for (;;) {
      const pageRows: Message[] = await store.list({ chatSessionId: c.chatSessionId }, { limit: 2, before, newestFirst: true });
      if (pageRows.length === 0) break;
      backwards.push(...pageRows.map((m) => m.id));
      before = pageRows[pageRows.length - 1];
    }
    expect(backwards).toEqual([...expected].reverse());
  });

  it('counts and finds the last message of many conversations in one call each', async () => {
    const convs = Array.from({ length: 4 }, () => ids());
    const base = Date.UTC(2026, 9, 3);
    await store.append([
      msg(convs[0], 'a0', { createdAt: new Date(base) }),
      msg(convs[0], 'a1', { createdAt: new Date(base + 1000) }),
      msg({ ...convs[0], chatSessionId: randomUUID() }, 'a2 (second session)', { createdAt: new Date(base + 2000) }),
      msg(convs[1], 'b0', { createdAt: new Date(base + 500), role: 'ASSISTANT', metadata: { k: 1 }, followUpActions: ['ok'], toolData: [{ name: 't', data: [1, 'two'], timestamp: null }] }),
      msg(convs[3], 'd0', { createdAt: new Date(base + 9000) }),
      msg(convs[3], 'd1', { createdAt: new Date(base + 9000) }),
    ]);
    const ids4 = convs.map((c) => c.conversationId);
    const counts = await store.countByConversation(ids4);
    expect(ids4.map((id) => counts.get(id) ?? 0)).toEqual([3, 1, 0, 2]);
    const last = await store.lastByConversation(ids4);
    expect(last.get(ids4[0])?.text).toBe('a2 (second session)');
    expect(last.get(ids4[1])?.text).toBe('b0');
    // The same document as a direct read: JSON fields, role and dates included.
    expect(last.get(ids4[1])).toEqual((await store.getMany([last.get(ids4[1])!.id]))[0]);
    expect(last.get(ids4[1])).toMatchObject({ role: 'ASSISTANT', metadata: { k: 1 }, followUpActions: ['ok'], toolData: [{ name: 't', data: [1, 'two'], timestamp: null }] });
    expect(last.has(ids4[2])).toBe(false);
    // A tie on createdAt: the larger id is the newer, as in list().
    const d = await store.list({ conversationId: ids4[3] }, { limit: 1, newestFirst: true });
    expect(last.get(ids4[3])?.id).toBe(d[0].id);
    expect(last.get(ids4[0])).toMatchObject({ conversationId: ids4[0], userId: convs[0].userId, role: 'USER' });
    expect(await store.countByConversation([])).toEqual(new Map());
    expect(await store.lastByConversation([])).toEqual(new Map());
  });

  it('deletes one conversation\'s messages, idempotently, and nothing else', async () => {
    const gone = ids();
    const kept = ids();
    await store.append([msg(gone, 'x'), msg({ ...gone, chatSessionId: randomUUID() }, 'y'), msg(kept, 'z')]);
    expect(await store.deleteByConversation(gone.conversationId)).toBe(2);
    expect(await store.deleteByConversation(gone.conversationId)).toBe(0);
    expect(await store.list({ conversationId: gone.conversationId }, { limit: 10 })).toEqual([]);
    expect(texts(await store.list({ conversationId: kept.conversationId }, { limit: 10 }))).toEqual(['z']);
  });

  it('answers a ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

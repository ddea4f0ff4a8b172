// One contract for every MessageStore: PostgreSQL (the app.message table, on this run's database)
// always; MongoDB over the wire when there is one (MONGODB_URL, or CongoDB started for
// MONGODB_TEST_SERVER=congodb), each run in its own database, dropped after. TEST_MESSAGE_STORES
// narrows the list (CI's MongoDB pass: mongodb).
//
// Every assertion of the shared contract was checked to hold on CongoDB for the reason it states
// (sorts, ObjectId and date comparisons, $in, $group/$first, deletedCount answered by the server);
// where a test could pass on insertion order alone, the MongoDB section below inserts out of order.
// Tests that rest on what CongoDB only pretends to do (index use, maxTimeMS) run on a real MongoDB
// only, and are skipped with their reason on CongoDB.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId, type CommandStartedEvent, type Document } from 'mongodb';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { messageStoresUnderTest, type OpenedStore } from './helpers/message-stores.ts';
import { mongoTestUrl, needsRealMongo, openMongoTestStore, type OpenedMongoStore } from './helpers/mongo.ts';
import { MESSAGES_COLLECTION, type MessageDocument } from '../src/messages/mongo-store.ts';
import type { Message, MessageStore, NewMessage } from '../src/messages/types.ts';

const { stores, mongoMissing } = messageStoresUnderTest();

if (mongoMissing) {
  console.warn(
    '\n[messages-store] NOTICE: no MongoDB (MONGODB_URL unset, MONGODB_TEST_SERVER unset), so the MongoDB message store contract suite is SKIPPED.\n' +
      '[messages-store] Only the PostgreSQL store was tested. To run it over the wire against CongoDB: MONGODB_TEST_SERVER=congodb npx vitest run test/messages-store.test.ts\n' +
      '[messages-store] against a real MongoDB: MONGODB_URL=mongodb://127.0.0.1:27017 npx vitest run test/messages-store.test.ts\n',
  );
  describe.skip('MessageStore contract: mongodb (SKIPPED: no MongoDB; set MONGODB_URL or MONGODB_TEST_SERVER=congodb)', () => {
    it('runs the same contract against MongoDB', () => {});
  });
}

const at = (iso: string) => new Date(iso);
const texts = (list: Message[]) => list.map((m) => m.text);

describe.each(stores)('MessageStore contract: $name', ({ kind, open }) => {
  let db: TestDatabase | undefined;
  let opened: OpenedStore;
  let store: MessageStore;
  beforeAll(async () => {
    if (kind === 'postgres') db = await createTestDatabase();
    opened = await open(db);
    store = opened.store;
  });
  afterAll(async () => {
    await opened?.cleanup();
    await db?.destroy();
  });

  const ids = () => ({ conversationId: randomUUID(), chatSessionId: randomUUID(), userId: randomUUID() });
  const msg = (base: ReturnType<typeof ids>, text: string, extra: Partial<NewMessage> = {}): NewMessage => ({
    ...base,
    role: 'USER',
    text,
    ...extra,
  });

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

// MongoDB only: what the shared contract cannot see. The store's _ids grow with insertion order,
// so a server that ignored _id in sorts and comparisons could pass the tie tests above; here the
// documents are written straight into the collection, out of _id order. Then what the store asks
// of the server (its commands, seen by the driver's command monitoring), and, on a real MongoDB
// only, whether the server answers them from the indexes.
const mongoUrl = stores.some((s) => s.kind === 'mongodb') ? mongoTestUrl() : undefined;

if (mongoUrl) {
  describe(`MongoDB message store over the wire: order, commands and indexes (${process.env.MONGODB_URL ? 'MONGODB_URL' : 'CongoDB'})`, () => {
    let opened: OpenedMongoStore;
    let store: OpenedMongoStore['store'];
    const started: CommandStartedEvent[] = [];
    beforeAll(async () => {
      opened = await openMongoTestStore(mongoUrl, { monitorCommands: true });
      store = opened.store;
      store.client.on('commandStarted', (e) => started.push(e));
    });
    afterAll(() => opened?.cleanup());

    /** The commands the store sent while fn ran, as the server received them. */
    async function commandsOf(fn: () => Promise<unknown>) {
      started.length = 0;
      await fn();
      return started.map((e) => ({ name: e.commandName, command: e.command }));
    }

    const collection = () => store.client.db(opened.database).collection<MessageDocument>(MESSAGES_COLLECTION);
    const doc = (c: { conversationId: string; chatSessionId: string; userId: string }, _id: ObjectId, createdAt: Date, text: string): MessageDocument => ({
      _id,
      ...c,
      role: 'USER',
      text,
      createdAt,
      toolData: null,
      followUpActions: null,
      metadata: null,
    });

    it('orders ties on createdAt by _id, not by insertion order: lists, cursors both ways, last message', async () => {
      const c = { conversationId: randomUUID(), chatSessionId: randomUUID(), userId: randomUUID() };
      const t = at('2026-10-04T09:00:00.000Z');
      const oids = Array.from({ length: 6 }, () => new ObjectId()); // increasing
      // Same createdAt, inserted 3, 0, 4, 1, 2; plus the largest _id one millisecond earlier.
      await collection().insertMany([3, 0, 4, 1, 2].map((i) => doc(c, oids[i], t, `t${i}`)));
      await collection().insertOne(doc(c, oids[5], new Date(t.getTime() - 1), 'earlier'));
      const order = ['earlier', 't0', 't1', 't2', 't3', 't4'];

      const scope = { chatSessionId: c.chatSessionId };
      expect(texts(await store.list(scope, { limit: 100 }))).toEqual(order);
      expect(texts(await store.list(scope, { limit: 100, newestFirst: true }))).toEqual([...order].reverse());
      const forwards: Message[] = [];
      for (let page = await store.list(scope, { limit: 2 }); page.length; page = await store.list(scope, { limit: 2, after: page[page.length - 1] })) forwards.push(...page);
      expect(texts(forwards)).toEqual(order);
      const backwards: Message[] = [];
      for (let page = await store.list(scope, { limit: 2, newestFirst: true }); page.length; page = await store.list(scope, { limit: 2, newestFirst: true, before: page[page.length - 1] })) backwards.push(...page);
      expect(texts(backwards)).toEqual([...order].reverse());
      expect((await store.lastByConversation([c.conversationId])).get(c.conversationId)?.text).toBe('t4');
      expect((await store.countByConversation([c.conversationId])).get(c.conversationId)).toBe(6);
    });

    it('init() asks for the two transcript indexes, and every read and delete carries maxTimeMS', async () => {
      // CongoDB records the indexes it is asked for (it never uses them): this checks the request.
      const keys = (await collection().listIndexes().toArray()).map((i: Document) => JSON.stringify(i.key));
      expect(keys).toEqual(
        expect.arrayContaining([JSON.stringify({ chatSessionId: 1, createdAt: 1, _id: 1 }), JSON.stringify({ conversationId: 1, createdAt: 1, _id: 1 })]),
      );
      const c = { conversationId: randomUUID(), chatSessionId: randomUUID(), userId: randomUUID() };
      const [m] = await store.append([{ ...c, role: 'USER', text: 'bounded' }]);
      const sent = await commandsOf(async () => {
        await store.getMany([m.id]);
        await store.list({ conversationId: c.conversationId }, { limit: 5, after: m });
        await store.countByConversation([c.conversationId]);
        await store.lastByConversation([c.conversationId]);
        await store.deleteByConversation(c.conversationId);
      });
      expect(sent.map((s) => s.name)).toEqual(['find', 'find', 'aggregate', 'aggregate', 'delete']);
      // What the store asks; whether the server stops at it is MongoDB's part (CongoDB ignores it).
      for (const s of sent) expect([s.name, s.command.maxTimeMS]).toEqual([s.name, 5000]);
    });

    it('[needs a real MongoDB: CongoDB never uses indexes] answers every read from a transcript index, with no collection scan or in-memory sort', async (ctx) => {
      needsRealMongo(ctx, opened.server, 'CongoDB records indexes but never uses them, and has no explain');
      const c = { conversationId: randomUUID(), chatSessionId: randomUUID(), userId: randomUUID() };
      const other = { conversationId: randomUUID(), chatSessionId: randomUUID(), userId: c.userId };
      const stored = await store.append([{ ...c, role: 'USER', text: 'a' }, { ...c, role: 'USER', text: 'b' }, { ...other, role: 'USER', text: 'c' }]);
      const reads = (
        await commandsOf(async () => {
          await store.list({ chatSessionId: c.chatSessionId }, { limit: 5, after: stored[0] });
          await store.list({ conversationId: c.conversationId }, { limit: 5, newestFirst: true, before: stored[1] });
          await store.countByConversation([c.conversationId, other.conversationId]);
          await store.lastByConversation([c.conversationId, other.conversationId]);
        })
      ).filter((s) => s.name === 'find' || s.name === 'aggregate');
      expect(reads).toHaveLength(4);
      for (const { name, command } of reads) {
        // The command as sent, minus the session and routing fields explain does not take.
        const { lsid: _l, $db: _d, $clusterTime: _c, $readPreference: _r, maxTimeMS: _m, ...inner } = command;
        const plan = await store.client.db(opened.database).command({ explain: inner, verbosity: 'queryPlanner' });
        // The stages of the winning plan only (rejected candidates may well sort or scan).
        const stages: { stage: string; indexName?: string }[] = [];
        const walk = (v: unknown, winning: boolean) => {
          if (Array.isArray(v)) return v.forEach((x) => walk(x, winning));
          if (!v || typeof v !== 'object') return;
          const o = v as Record<string, unknown>;
          if (winning && typeof o.stage === 'string') stages.push({ stage: o.stage, indexName: o.indexName as string | undefined });
          for (const [k, x] of Object.entries(o)) if (k !== 'rejectedPlans') walk(x, winning || k === 'winningPlan');
        };
        walk(plan, false);
        expect(stages.length, `${name}: a winning plan in ${JSON.stringify(plan)}`).toBeGreaterThan(0);
        // An aggregation whose $sort was not absorbed by the query layer sorts in memory.
        const pipelineStages = ((plan.stages ?? []) as Document[]).map((st) => Object.keys(st)[0]);
        expect(pipelineStages, `${name} ${JSON.stringify(inner)}`).not.toContain('$sort');
        const names = stages.map((s) => s.stage);
        expect(names, `${name} ${JSON.stringify(inner)}`).not.toContain('COLLSCAN');
        expect(names, `${name} ${JSON.stringify(inner)}`).not.toContain('SORT');
        expect(
          stages.some((s) => ['chatSessionId_createdAt__id', 'conversationId_createdAt__id'].includes(s.indexName ?? '')),
          `${name} uses a transcript index: ${JSON.stringify(stages)}`,
        ).toBe(true);
      }
    });
  });
}

// Transcripts over GraphQL: connections, batching of counts and last messages (store calls
// counted), privacy, and the two mutations that write messages. Against each message store under
// test (test/helpers/message-stores.ts): PostgreSQL, and MongoDB over the wire when there is one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { countingStore, messageStoresUnderTest, type OpenedStore } from './helpers/message-stores.ts';
import { createApiKey, createSession, createUser, gid, rawId } from './factories/index.ts';
import type { MessageStore } from '../src/messages/types.ts';
import { MESSAGE_LIMITS } from '../src/messages/types.ts';


const CONVERSATION_PAGE = /* GraphQL */ `
  query($id: ID!, $first: Int, $last: Int, $after: String, $before: String) {
    conversation(id: $id) {
      messageCount
      lastMessage { text role }
      messages(first: $first, last: $last, after: $after, before: $before) {
        edges { cursor node { id text role threadId createdAt } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
`;
const SESSION_PAGE = /* GraphQL */ `
  query($id: ID!) { node(id: $id) { ... on ChatSession { messages(first: 10) { edges { node { text } } } } } }
`;
const SEND = /* GraphQL */ `
  mutation($input: SendMessageInput!) {
    sendMessage(input: $input) { message { id text role createdAt } conversation { id updatedAt messageCount } }
  }
`;
const APPEND = /* GraphQL */ `
  mutation($input: AppendMessagesInput!) { appendMessages(input: $input) { messageIds count } }
`;

async function conversationFor(db: TestDatabase, userId: string, sessions = 2) {
  const c = await db.prisma.conversation.create({
    data: { userId, conversationType: 'INCIDENT', title: 'Dans le bus', chatSessions: { create: Array.from({ length: sessions }, () => ({})) } },
    include: { chatSessions: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } },
  });
  return { ...c, sessionIds: c.chatSessions.map((s) => s.id) };
}

describe.each(messageStoresUnderTest().stores)(`messages over GraphQL (${dbKind}, store: $name)`, ({ open }) => {
  let db: TestDatabase;
  let opened: OpenedStore;
  let counted: ReturnType<typeof countingStore>;
  let store: MessageStore;
  let api: ReturnType<typeof createTestApp>;
  let teen: { id: string; token: string };
  let other: { id: string; token: string };
  let writer: string;
  let reader: string;
  let conv: Awaited<ReturnType<typeof conversationFor>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    opened = await open(db);
    counted = countingStore(opened.store);
    store = counted.store;
    api = createTestApp(db, { MAX_QUERY_COMPLEXITY: '100000' }, { messages: store });
    const t = await createUser(db.prisma);
    teen = { id: t.id, token: (await createSession(db.prisma, t.id, 'FULL')).token };
    const o = await createUser(db.prisma);
    other = { id: o.id, token: (await createSession(db.prisma, o.id, 'FULL')).token };
    writer = (await createApiKey(db.prisma, ['messages:write'])).key;
    reader = (await createApiKey(db.prisma, ['conversations:read'])).key;
    conv = await conversationFor(db, teen.id);
  });
  afterAll(async () => {
    await opened?.cleanup();
    await db?.destroy();
  });

  it('sendMessage and appendMessages build a transcript read oldest first, with `last` for the newest page', async () => {
    const [s1, s2] = conv.sessionIds;
    for (const text of ['On se moque de moi dans le bus', 'Depuis lundi']) {
      const r = await api.gql(SEND, { input: { chatSessionId: gid('ChatSession', s1), text } }, { token: teen.token });
      expect(r.errors).toBeUndefined();
      expect(r.data.sendMessage.message).toMatchObject({ text, role: 'USER' });
    }
    const appended = await api.gql(
      APPEND,
      {
        input: {
          chatSessionId: gid('ChatSession', s1),
          messages: [
            { role: 'TOOL', text: 'kb', toolData: [{ name: 'knowledge_base_search', data: { hits: 3 }, timestamp: '2026-10-01T10:00:00Z' }] },
            { role: 'ASSISTANT', text: "Merci de me l'avoir dit.", followUpActions: ['Qui ?', 'Où ?'], metadata: { monster: 'betty' } },
          ],
        },
      },
      { apiKey: writer },
    );
    expect(appended.errors).toBeUndefined();
    expect(appended.data.appendMessages.count).toBe(2);
    const r5 = await api.gql(SEND, { input: { chatSessionId: gid('ChatSession', s2), text: 'Nouvelle session' } }, { token: teen.token });
    expect(r5.errors).toBeUndefined();

    const all = await api.gql(CONVERSATION_PAGE, { id: gid('Conversation', conv.id) }, { token: teen.token });
    expect(all.errors).toBeUndefined();
    const texts = all.data.conversation.messages.edges.map((e: any) => e.node.text);
    expect(texts).toEqual(['On se moque de moi dans le bus', 'Depuis lundi', 'kb', "Merci de me l'avoir dit.", 'Nouvelle session']);
    expect(all.data.conversation.messageCount).toBe(5);
    expect(all.data.conversation.lastMessage).toEqual({ text: 'Nouvelle session', role: 'USER' });
    expect(all.data.conversation.messages.edges[0].node.threadId).toBe(s1);

    // Pages of 2 forwards, with cursors.
    const p1 = await api.gql(CONVERSATION_PAGE, { id: gid('Conversation', conv.id), first: 2 }, { token: teen.token });
    expect(p1.data.conversation.messages.edges.map((e: any) => e.node.text)).toEqual(texts.slice(0, 2));
    expect(p1.data.conversation.messages.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = await api.gql(
      CONVERSATION_PAGE,
      { id: gid('Conversation', conv.id), first: 2, after: p1.data.conversation.messages.pageInfo.endCursor },
      { token: teen.token },
    );
    expect(p2.data.conversation.messages.edges.map((e: any) => e.node.text)).toEqual(texts.slice(2, 4));
    expect(p2.data.conversation.messages.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    // The newest page, still oldest first within it; then the page before it.
    const newest = await api.gql(CONVERSATION_PAGE, { id: gid('Conversation', conv.id), last: 2 }, { token: teen.token });
    expect(newest.data.conversation.messages.edges.map((e: any) => e.node.text)).toEqual(texts.slice(3));
    expect(newest.data.conversation.messages.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const older = await api.gql(
      CONVERSATION_PAGE,
      { id: gid('Conversation', conv.id), last: 2, before: newest.data.conversation.messages.pageInfo.startCursor },
      { token: teen.token },
    );
    expect(older.data.conversation.messages.edges.map((e: any) => e.node.text)).toEqual(texts.slice(1, 3));

    // A chat session's own transcript.
    const session = await api.gql(SESSION_PAGE, { id: gid('ChatSession', s2) }, { token: teen.token });
    expect(session.errors).toBeUndefined();
    expect(session.data.node.messages.edges.map((e: any) => e.node.text)).toEqual(['Nouvelle session']);

    // Messages are nodes: the owner refetches one by its global id, JSON fields included.
    const assistantId = appended.data.appendMessages.messageIds[1];
    const node = await api.gql(
      `query($id: ID!) { node(id: $id) { id ... on Message { text role followUpActions metadata toolData } } }`,
      { id: assistantId },
      { token: teen.token },
    );
    expect(node.errors).toBeUndefined();
    expect(node.data.node).toEqual({ id: assistantId, text: "Merci de me l'avoir dit.", role: 'ASSISTANT', followUpActions: ['Qui ?', 'Où ?'], metadata: { monster: 'betty' }, toolData: null });
    const tool = await api.gql(`query($id: ID!) { node(id: $id) { ... on Message { toolData } } }`, { id: appended.data.appendMessages.messageIds[0] }, { token: teen.token });
    expect(tool.data.node.toolData).toEqual([{ name: 'knowledge_base_search', data: { hits: 3 }, timestamp: '2026-10-01T10:00:00.000Z' }]);
  });

  it('refuses a cursor that is not one of ours', async () => {
    const r = await api.gql(CONVERSATION_PAGE, { id: gid('Conversation', conv.id), first: 2, after: 'bm9wZQ==' }, { token: teen.token });
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
  });

  it('a page of 50 conversations costs one store call for all lastMessage and one for all messageCount', async () => {
    const u = await createUser(db.prisma);
    const { token } = await createSession(db.prisma, u.id, 'FULL');
    const convs = [];
    for (let i = 0; i < 50; i++) convs.push(await conversationFor(db, u.id, 1));
    // Every conversation but the last 5 gets i % 4 + 1 messages, straight into the store.
    const base = Date.UTC(2026, 9, 5);
    await store.append(
      convs.slice(0, 45).flatMap((c, i) =>
        Array.from({ length: (i % 4) + 1 }, (_, k) => ({
          conversationId: c.id,
          chatSessionId: c.sessionIds[0],
          userId: u.id,
          role: 'USER' as const,
          text: `c${i}-m${k}`,
          createdAt: new Date(base + i * 10_000 + k * 1000),
        })),
      ),
    );
    const query = `{ me { conversations(first: 50) { edges { node { id messageCount lastMessage { text } } } } } }`;
    const { result: r, calls } = await counted.measure(() => api.gql(query, {}, { token }));
    expect(r.errors).toBeUndefined();
    expect(r.data.me.conversations.edges).toHaveLength(50);
    expect(calls).toEqual({ countByConversation: 1, lastByConversation: 1 });
    const byId = new Map(r.data.me.conversations.edges.map((e: any) => [e.node.id, e.node]));
    convs.forEach((c, i) => {
      const node = byId.get(gid('Conversation', c.id)) as any;
      if (i < 45) {
        expect(node.messageCount).toBe((i % 4) + 1);
        expect(node.lastMessage.text).toBe(`c${i}-m${i % 4}`);
      } else {
        expect(node.messageCount).toBe(0);
        expect(node.lastMessage).toBeNull();
      }
    });
    // Per request, not per process: the next request asks the store again (once each).
    const again = await counted.measure(() => api.gql(query, {}, { token }));
    expect(again.calls).toEqual({ countByConversation: 1, lastByConversation: 1 });
  });

  it('only the owner reads messages: others get NOT_FOUND, operators with conversations:read see the count only', async () => {
    const asOther = await api.gql(CONVERSATION_PAGE, { id: gid('Conversation', conv.id) }, { token: other.token });
    expect(codesOf(asOther)).toEqual(['NOT_FOUND']);
    expect(asOther.data?.conversation ?? null).toBeNull();
    const sessionAsOther = await api.gql(SESSION_PAGE, { id: gid('ChatSession', conv.sessionIds[0]) }, { token: other.token });
    expect(codesOf(sessionAsOther)).toEqual(['NOT_FOUND']);
    const [anyMessage] = await store.list({ conversationId: conv.id }, { limit: 1 });
    const msgAsOther = await api.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: gid('Message', anyMessage.id) }, { token: other.token });
    expect(codesOf(msgAsOther)).toEqual(['NOT_FOUND']);
    // An id of the right shape for this store that no message has.
    const absent = store.kind === 'mongodb' ? '0123456789abcdef01234567' : crypto.randomUUID();
    const missing = await api.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: gid('Message', absent) }, { token: teen.token });
    expect(codesOf(missing)).toEqual(['NOT_FOUND']);

    const count = await api.gql(`query($id: ID!) { conversation(id: $id) { messageCount } }`, { id: gid('Conversation', conv.id) }, { apiKey: reader });
    expect(count.errors).toBeUndefined();
    expect(count.data.conversation.messageCount).toBe(5);
    const text = await api.gql(`query($id: ID!) { conversation(id: $id) { messages { edges { node { text } } } } }`, { id: gid('Conversation', conv.id) }, { apiKey: reader });
    expect(codesOf(text)).toEqual(['FORBIDDEN']);
    const last = await api.gql(`query($id: ID!) { conversation(id: $id) { lastMessage { text } } }`, { id: gid('Conversation', conv.id) }, { apiKey: reader });
    expect(codesOf(last)).toEqual(['FORBIDDEN']);
    const sessionText = await api.gql(SESSION_PAGE, { id: gid('ChatSession', conv.sessionIds[0]) }, { apiKey: reader });
    expect(codesOf(sessionText)).toEqual(['FORBIDDEN']);
  });

  it('sendMessage: a FULL session, your own chat session, bounded text; it bumps the conversation\'s updatedAt', async () => {
    const session = gid('ChatSession', conv.sessionIds[0]);
    const pending = await createSession(db.prisma, teen.id, 'PENDING_CONSENT');
    const gated = await api.gql(SEND, { input: { chatSessionId: session, text: 'hello' } }, { token: pending.token });
    expect(codesOf(gated)).toEqual(['CONSENT_REQUIRED']);
    const tooLong = await api.gql(SEND, { input: { chatSessionId: session, text: 'x'.repeat(4001) } }, { token: teen.token });
    expect(codesOf(tooLong)).toEqual(['BAD_USER_INPUT']);
    const blank = await api.gql(SEND, { input: { chatSessionId: session, text: '   ' } }, { token: teen.token });
    expect(codesOf(blank)).toEqual(['BAD_USER_INPUT']);
    const notASession = await api.gql(SEND, { input: { chatSessionId: gid('Conversation', conv.id), text: 'hello' } }, { token: teen.token });
    expect(codesOf(notASession)).toEqual(['BAD_USER_INPUT']);
    const someoneElses = await api.gql(SEND, { input: { chatSessionId: session, text: 'hello' } }, { token: other.token });
    expect(codesOf(someoneElses)).toEqual(['NOT_FOUND']);
    const asOperator = await api.gql(SEND, { input: { chatSessionId: session, text: 'hello' } }, { apiKey: writer });
    expect(codesOf(asOperator)).toEqual(['FORBIDDEN']);
    const anonymous = await api.gql(SEND, { input: { chatSessionId: session, text: 'hello' } });
    expect(codesOf(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect((await store.countByConversation([conv.id])).get(conv.id)).toBe(5);

    const before = (await db.prisma.conversation.findUniqueOrThrow({ where: { id: conv.id } })).updatedAt;
    const ok = await api.gql(SEND, { input: { chatSessionId: session, text: '  x'.padEnd(4000, 'y') } }, { token: teen.token });
    expect(ok.errors).toBeUndefined();
    const after = (await db.prisma.conversation.findUniqueOrThrow({ where: { id: conv.id } })).updatedAt;
    expect(after.getTime()).toBeGreaterThan(before.getTime());
    expect(new Date(ok.data.sendMessage.conversation.updatedAt).getTime()).toBe(after.getTime());
    expect(ok.data.sendMessage.conversation.messageCount).toBe(6);
    expect(ok.data.sendMessage.message.text).toBe('x'.padEnd(3998, 'y'));
  });

  it('appendMessages: needs messages:write, refuses USER messages and unknown chat sessions', async () => {
    const session = gid('ChatSession', conv.sessionIds[1]);
    const input = { chatSessionId: session, messages: [{ role: 'ASSISTANT', text: 'Je suis là.' }] };
    const noKey = await api.gql(APPEND, { input });
    expect(codesOf(noKey)).toEqual(['UNAUTHENTICATED']);
    const wrongKey = await api.gql(APPEND, { input }, { apiKey: reader });
    expect(codesOf(wrongKey)).toEqual(['FORBIDDEN']);
    const asUser = await api.gql(APPEND, { input }, { token: teen.token });
    expect(codesOf(asUser)).toEqual(['FORBIDDEN']);
    const userRole = await api.gql(APPEND, { input: { chatSessionId: session, messages: [{ role: 'USER', text: 'fake' }] } }, { apiKey: writer });
    expect(codesOf(userRole)).toEqual(['BAD_USER_INPUT']);
    const tooMany = await api.gql(
      APPEND,
      { input: { chatSessionId: session, messages: Array.from({ length: 51 }, () => ({ role: 'SYSTEM', text: 's' })) } },
      { apiKey: writer },
    );
    expect(codesOf(tooMany)).toEqual(['BAD_USER_INPUT']);
    const empty = await api.gql(APPEND, { input: { chatSessionId: session, messages: [] } }, { apiKey: writer });
    expect(codesOf(empty)).toEqual(['BAD_USER_INPUT']);
    const unknown = await api.gql(APPEND, { input: { ...input, chatSessionId: gid('ChatSession', crypto.randomUUID()) } }, { apiKey: writer });
    expect(codesOf(unknown)).toEqual(['NOT_FOUND']);
    expect((await store.countByConversation([conv.id])).get(conv.id)).toBe(6);

    const ok = await api.gql(APPEND, { input }, { apiKey: writer });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.appendMessages.messageIds).toHaveLength(1);
    const [stored] = await store.getMany([rawId(ok.data.appendMessages.messageIds[0])]);
    // The message belongs to the conversation's owner, not to the key that wrote it.
    expect(stored).toMatchObject({ role: 'ASSISTANT', userId: teen.id, conversationId: conv.id, chatSessionId: conv.sessionIds[1] });
  });
  it('refuses what the stores cannot hold alike (NUL, unpaired surrogates, at any depth) as BAD_USER_INPUT, writing nothing', async () => {
    // PostgreSQL refuses NUL in text and jsonb; BSON refuses it in keys and turns unpaired
    // surrogates into U+FFFD. Both stores must answer the same, and never with an internal error.
    const session = gid('ChatSession', conv.sessionIds[0]);
    const before = (await store.countByConversation([conv.id])).get(conv.id);
    for (const text of ['a\u0000b', 'broken \ud83d pair', '\udc00']) {
      expect(codesOf(await api.gql(SEND, { input: { chatSessionId: session, text } }, { token: teen.token }))).toEqual(['BAD_USER_INPUT']);
    }
    const deep: Record<string, unknown> = { leaf: 'v\u0000' };
    let nested = deep;
    for (let i = 0; i < 50; i++) nested = { next: nested };
    const hostile = [
      { role: 'ASSISTANT', text: 'ok\u0000' },
      { role: 'ASSISTANT', text: 'ok', followUpActions: ['fine', 'x\u0000'] },
      { role: 'TOOL', text: 'ok', toolData: [{ name: 'kb', data: { hits: ['\ud800'] } }] },
      { role: 'SYSTEM', text: 'ok', metadata: { 'key\u0000': 1 } },
      { role: 'SYSTEM', text: 'ok', metadata: nested },
    ];
    for (const m of hostile) {
      // A good message first: the batch is refused whole.
      const r = await api.gql(APPEND, { input: { chatSessionId: session, messages: [{ role: 'ASSISTANT', text: 'good' }, m] } }, { apiKey: writer });
      expect([JSON.stringify(m).slice(0, 60), codesOf(r)]).toEqual([JSON.stringify(m).slice(0, 60), ['BAD_USER_INPUT']]);
    }
    expect((await store.countByConversation([conv.id])).get(conv.id)).toBe(before);
    // Paired surrogates (emoji) and $-prefixed or dotted keys are fine in both.
    const ok = await api.gql(APPEND, { input: { chatSessionId: session, messages: [{ role: 'ASSISTANT', text: 'ok 🙂', metadata: { $set: { 'a.b': '🙂' } } }] } }, { apiKey: writer });
    expect(ok.errors).toBeUndefined();
    const [stored] = await store.getMany([rawId(ok.data.appendMessages.messageIds[0])]);
    expect(stored).toMatchObject({ text: 'ok 🙂', metadata: { $set: { 'a.b': '🙂' } } });
  });

  it('appendMessages: every field rule answers at once, by path; the JSON bound counts tool entries as stored', async () => {
    // Someone else's conversation: the teenager's list, which later tests read, stays as it was.
    const fresh = await conversationFor(db, (await createUser(db.prisma)).id, 1);
    const session = gid('ChatSession', fresh.sessionIds[0]);
    const issuesOf = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
      (r.errors?.[0]?.extensions?.issues as { path: string }[] | undefined)?.map((i) => i.path);
    // The id's rule and the messages' rules sit on their fields: one answer names both.
    const both = await api.gql(APPEND, { input: { chatSessionId: gid('ChatSession', 'not-a-uuid'), messages: [{ role: 'USER', text: 'x' }] } }, { apiKey: writer });
    expect(codesOf(both)).toEqual(['BAD_USER_INPUT']);
    expect(issuesOf(both)).toEqual(['input.chatSessionId', 'input.messages.0.role']);
    const nested = await api.gql(
      APPEND,
      { input: { chatSessionId: session, messages: [{ role: 'TOOL', text: 'a' }, { role: 'TOOL', text: 'b', toolData: [{ name: '  ', data: 1 }], followUpActions: ['ok', ' '] }] } },
      { apiKey: writer },
    );
    expect(issuesOf(nested)).toEqual(['input.messages.1.toolData.0.name', 'input.messages.1.followUpActions.1']);
    // 64 KiB of JSON for toolData and metadata, counted as stored: an absent timestamp is null,
    // a name trimmed. `room` fills the bound exactly.
    const max = MESSAGE_LIMITS.jsonBytesMax;
    const room = max - JSON.stringify([[{ name: 'kb', data: '', timestamp: null }], null]).length;
    const over = await api.gql(APPEND, { input: { chatSessionId: session, messages: [{ role: 'TOOL', text: 't', toolData: [{ name: 'kb', data: 'x'.repeat(room + 1) }] }] } }, { apiKey: writer });
    expect(issuesOf(over)).toEqual(['input.messages.0']);
    expect((await store.countByConversation([fresh.id])).get(fresh.id) ?? 0).toBe(0);
    const full = await api.gql(APPEND, { input: { chatSessionId: session, messages: [{ role: 'TOOL', text: 't', toolData: [{ name: ' kb ', data: 'x'.repeat(room) }] }] } }, { apiKey: writer });
    expect(full.errors).toBeUndefined();
    const [stored] = await store.getMany([Buffer.from(full.data.appendMessages.messageIds[0], 'base64').toString().split(':')[1]]);
    expect(stored.toolData).toEqual([{ name: 'kb', data: 'x'.repeat(room), timestamp: null }]);
  });

  it('a message store outage costs messageCount and lastMessage, not the list of conversations', async () => {
    const inner = opened.store;
    const down = new Error('connect ECONNREFUSED (simulated)');
    const broken: MessageStore = { ...inner, countByConversation: () => Promise.reject(down), lastByConversation: () => Promise.reject(down) };
    const brokenApi = createTestApp(db, {}, { messages: broken });
    const r = await brokenApi.gql(`{ me { conversations(first: 5) { edges { node { title messageCount lastMessage { text } } } } } }`, {}, { token: teen.token });
    expect(r.data.me.conversations.edges).toEqual([{ node: { title: 'Dans le bus', messageCount: null, lastMessage: null } }]);
    expect(new Set(codesOf(r))).toEqual(new Set(['INTERNAL_SERVER_ERROR']));
    expect(JSON.stringify(r.errors)).not.toMatch(/ECONNREFUSED/);
  });
});

// deleteConversation through the GraphQL mutation: relational rows in one transaction, messages
// in the store right after, or through the outbox when the store is down. Against each message
// store under test (test/helpers/message-stores.ts): PostgreSQL, and MongoDB over the wire when
// there is one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp, testConfig } from './helpers/app.ts';
import { flakyDeletes, messageStoresUnderTest, type OpenedStore } from './helpers/message-stores.ts';
import { createSession, createUser, rawId } from './factories/index.ts';
import { processOutbox } from '../src/messages/outbox.ts';

const START = `mutation { startConversation(input: { conversationType: INCIDENT, title: "Dans le bus" }) { conversation { id } chatSession { id } } }`;
const SEND = `mutation($s: ID!, $t: String!) { sendMessage(input: { chatSessionId: $s, text: $t }) { message { id } } }`;
const DELETE = `mutation($id: ID!) { deleteConversation(input: { conversationId: $id }) { deletedConversationId } }`;

describe.each(messageStoresUnderTest().stores)(`deleteConversation and the message store (${dbKind}, store: $name)`, ({ open }) => {
  let db: TestDatabase;
  let opened: OpenedStore;
  beforeAll(async () => {
    db = await createTestDatabase();
    opened = await open(db);
  });
  afterAll(async () => {
    await opened?.cleanup();
    await db?.destroy();
  });

  async function conversationWithMessages(api: ReturnType<typeof createTestApp>, token: string) {
    const started = await api.gql(START, {}, { token });
    expect(started.errors).toBeUndefined();
    const { conversation, chatSession } = started.data.startConversation;
    for (const t of ['Ils se moquent de moi', 'Depuis la rentrée']) {
      expect((await api.gql(SEND, { s: chatSession.id, t }, { token })).errors).toBeUndefined();
    }
    return conversation.id as string;
  }

  it('deletes the messages with the conversation, and leaves no outbox row', async () => {
    const store = opened.store;
    const api = createTestApp(db, {}, { messages: store });
    const { token } = await createSession(db.prisma, (await createUser(db.prisma)).id);
    const id = await conversationWithMessages(api, token);
    expect((await store.countByConversation([rawId(id)])).get(rawId(id))).toBe(2);
    const r = await api.gql(DELETE, { id }, { token });
    expect(r.errors).toBeUndefined();
    expect((await store.countByConversation([rawId(id)])).get(rawId(id)) ?? 0).toBe(0);
    expect(await db.prisma.messageDeletionOutbox.count()).toBe(0);
    expect(codesOf(await api.gql(DELETE, { id }, { token }))).toEqual(['NOT_FOUND']);
  });

  it('with the store down the request still succeeds; the outbox finishes the job once it is back', async () => {
    const { store, state } = flakyDeletes(opened.store);
    const api = createTestApp(db, { MESSAGE_STORE_TIMEOUT_MS: '200' }, { messages: store });
    const { token } = await createSession(db.prisma, (await createUser(db.prisma)).id);
    const id = await conversationWithMessages(api, token);
    state.mode = 'reject';
    const started = Date.now();
    expect((await api.gql(DELETE, { id }, { token })).errors).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await db.prisma.conversation.count({ where: { id: rawId(id) } })).toBe(0);
    expect(await db.prisma.messageDeletionOutbox.count({ where: { conversationId: rawId(id) } })).toBe(1);
    expect((await store.countByConversation([rawId(id)])).get(rawId(id))).toBe(2);

    state.mode = 'ok';
    const deps = { db, messages: store, log: pino({ level: 'silent' }), config: testConfig(db) };
    // The row is due after its backoff; run the worker as of a later time.
    await processOutbox(deps, 20, new Date(Date.now() + 3600_000));
    expect((await store.countByConversation([rawId(id)])).get(rawId(id)) ?? 0).toBe(0);
    expect(await db.prisma.messageDeletionOutbox.count()).toBe(0);
  });
});

// Conversation and feedback mutations: FULL sessions only, owner-only writes (anything else is
// NOT_FOUND, exactly like a missing id), validation before any write, one transaction each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLFormattedError } from 'graphql';
import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import { deleteConversation } from '../src/schema/conversations/rules.ts';
import type { SessionScope } from '../src/generated/prisma/client.ts';

const START = /* GraphQL */ `
  mutation Start($input: StartConversationInput!) {
    startConversation(input: $input) {
      conversation { id title conversationType createdAt updatedAt user { id } chatSessions(first: 5) { totalCount edges { node { id } } } }
      chatSession { id threadId conversation { id } }
    }
  }
`;
const START_SESSION = /* GraphQL */ `
  mutation StartSession($input: StartChatSessionInput!) {
    startChatSession(input: $input) {
      chatSession { id threadId createdAt }
      conversation { id updatedAt chatSessions(first: 10) { totalCount } }
    }
  }
`;
const RENAME = /* GraphQL */ `
  mutation Rename($input: RenameConversationInput!) {
    renameConversation(input: $input) { conversation { id title } }
  }
`;
const DELETE = /* GraphQL */ `
  mutation Delete($input: DeleteConversationInput!) {
    deleteConversation(input: $input) { deletedConversationId }
  }
`;
const FEEDBACK = /* GraphQL */ `
  mutation Feedback($input: SubmitFeedbackInput!) {
    submitFeedback(input: $input) { feedback { id sessionId rating comment isPositive createdAt } }
  }
`;
const CONVERSATION = /* GraphQL */ `
  query Conversation($id: ID!) { conversation(id: $id) { id title chatSessions(first: 10) { totalCount } } }
`;

const conversationGid = (id: string) => encodeGlobalID('Conversation', id);
const chatSessionGid = (id: string) => encodeGlobalID('ChatSession', id);
const rawId = (gid: string) => Buffer.from(gid, 'base64').toString().split(':').slice(1).join(':');
const withoutPath = (errors: readonly GraphQLFormattedError[] | undefined) => (errors ?? []).map(({ path: _path, ...rest }) => rest);

describe(`conversation mutations (${dbKind})`, () => {
  let db: TestDatabase;
  let api: ReturnType<typeof createTestApp>;

  async function person(scope: SessionScope = 'FULL') {
    const user = await createUser(db.prisma);
    const { token } = await createSession(db.prisma, user.id, scope);
    return { user, token };
  }

  async function conversationOf(userId: string, sessions = 1) {
    return db.prisma.conversation.create({
      data: {
        userId,
        title: 'Mine',
        conversationType: 'INCIDENT',
        updatedAt: new Date(Date.UTC(2026, 0, 1)),
        chatSessions: { create: Array.from({ length: sessions }, () => ({})) },
      },
      include: { chatSessions: true },
    });
  }

  const counts = async () => ({
    conversations: await db.prisma.conversation.count(),
    chatSessions: await db.prisma.chatSession.count(),
    feedback: await db.prisma.feedback.count(),
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = createTestApp(db);
  });
  afterAll(() => db?.destroy());

  describe('startConversation', () => {
    it('creates the conversation and its first chat session, owned by the caller, title trimmed', async () => {
      const { user, token } = await person();
      const r = await api.gql(START, { input: { conversationType: 'INCIDENT', title: '  Dans le bus  ' } }, { token });
      expect(r.errors).toBeUndefined();
      const { conversation, chatSession } = r.data.startConversation;
      expect(conversation).toMatchObject({ title: 'Dans le bus', conversationType: 'INCIDENT' });
      expect(conversation.user.id).toBe(encodeGlobalID('User', user.id));
      expect(conversation.chatSessions.totalCount).toBe(1);
      expect(conversation.chatSessions.edges[0].node.id).toBe(chatSession.id);
      expect(chatSession.conversation.id).toBe(conversation.id);
      expect(chatSession.threadId).toBe(rawId(chatSession.id));
      const row = await db.prisma.conversation.findUniqueOrThrow({ where: { id: rawId(conversation.id) }, include: { chatSessions: true } });
      expect(row.userId).toBe(user.id);
      expect(row.chatSessions.map((s) => s.id)).toEqual([chatSession.threadId]);
      // The owner reads it back.
      const read = await api.gql(CONVERSATION, { id: conversation.id }, { token });
      expect(read.data.conversation).toMatchObject({ id: conversation.id, title: 'Dans le bus' });
    });

    it('the title is optional: absent or null gives no title', async () => {
      const { token } = await person();
      const a = await api.gql(START, { input: { conversationType: 'GENERAL' } }, { token });
      const b = await api.gql(START, { input: { conversationType: 'GENERAL', title: null } }, { token });
      expect(a.data.startConversation.conversation.title).toBeNull();
      expect(b.data.startConversation.conversation.title).toBeNull();
    });

    it('counts characters as the database does: 200 emoji fit, 201 characters do not', async () => {
      const { token } = await person();
      const ok = await api.gql(START, { input: { conversationType: 'GENERAL', title: '😢'.repeat(200) } }, { token });
      expect(ok.errors).toBeUndefined();
      expect(ok.data.startConversation.conversation.title).toBe('😢'.repeat(200));
    });

    it('refuses a blank, too long or NUL-containing title with BAD_USER_INPUT and writes nothing', async () => {
      const { token } = await person();
      const before = await counts();
      for (const title of ['', '    ', 'x'.repeat(201), 'a\u0000b']) {
        const r = await api.gql(START, { input: { conversationType: 'GENERAL', title } }, { token });
        expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
        expect(r.errors![0].extensions!.issues).toEqual([expect.objectContaining({ path: 'input.title' })]);
      }
      const badType = await api.gql(START, { input: { conversationType: 'CHAT' } }, { token });
      expect(badType.errors).toBeDefined();
      expect(await counts()).toEqual(before);
    });
  });

  describe('who may call them', () => {
    const calls = (conversationId: string, chatSessionId: string) => [
      [START, { input: { conversationType: 'GENERAL' } }],
      [START_SESSION, { input: { conversationId } }],
      [RENAME, { input: { conversationId, title: 'Nouveau' } }],
      [DELETE, { input: { conversationId } }],
      [FEEDBACK, { input: { chatSessionId, rating: 5, isPositive: true } }],
    ] as const;

    it.each([
      ['ONBOARDING', 'ACCEPT_TERMS'],
      ['PENDING_CONSENT', 'PARENTAL_CONSENT'],
    ] as const)('a %s session gets CONSENT_REQUIRED with the next step, and nothing is written', async (scope, nextStep) => {
      const { user, token } = await person(scope);
      const mine = await conversationOf(user.id);
      const before = await counts();
      for (const [doc, variables] of calls(conversationGid(mine.id), chatSessionGid(mine.chatSessions[0].id))) {
        const r = await api.gql(doc, variables, { token });
        expect(codesOf(r)).toEqual(['CONSENT_REQUIRED']);
        expect(r.errors![0].extensions).toMatchObject({ requiredScope: 'FULL', currentScope: scope, nextStep });
      }
      expect(await counts()).toEqual(before);
      expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: mine.id } })).toEqual(
        (({ chatSessions: _s, ...c }) => c)(mine),
      );
    });

    it('anonymous callers are UNAUTHENTICATED; API keys, even with conversations:read, are FORBIDDEN', async () => {
      const { user } = await person();
      const mine = await conversationOf(user.id);
      const { key } = await createApiKey(db.prisma, ['conversations:read', 'feedback:read']);
      const before = await counts();
      for (const [doc, variables] of calls(conversationGid(mine.id), chatSessionGid(mine.chatSessions[0].id))) {
        expect(codesOf(await api.gql(doc, variables))).toEqual(['UNAUTHENTICATED']);
        expect(codesOf(await api.gql(doc, variables, { apiKey: key }))).toEqual(['FORBIDDEN']);
      }
      // The operator may read its metadata, never its title (content, owner only) nor write it.
      const read = await api.gql(CONVERSATION, { id: conversationGid(mine.id) }, { apiKey: key });
      expect(read.data.conversation).toMatchObject({ id: conversationGid(mine.id), title: null });
      expect(read.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([['conversation.title', 'FORBIDDEN']]);
      const meta = await api.gql('query($id: ID!) { conversation(id: $id) { id conversationType } }', { id: conversationGid(mine.id) }, { apiKey: key });
      expect(meta.data.conversation).toEqual({ id: conversationGid(mine.id), conversationType: mine.conversationType });
      expect(await counts()).toEqual(before);
      expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: mine.id } })).title).toBe('Mine');
    });
  });

  describe('ownership', () => {
    it("another user's conversation is NOT_FOUND, identical to a random id, and stays untouched", async () => {
      const owner = await person();
      const other = await person();
      const theirs = await conversationOf(owner.user.id);
      const before = await counts();
      for (const [doc, extra] of [
        [START_SESSION, {}],
        [RENAME, { title: 'Piraté' }],
        [DELETE, {}],
      ] as const) {
        const hidden = await api.gql(doc, { input: { conversationId: conversationGid(theirs.id), ...extra } }, { token: other.token });
        const missing = await api.gql(doc, { input: { conversationId: conversationGid(randomUUID()), ...extra } }, { token: other.token });
        expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
        expect(hidden.data).toBeNull();
        expect(withoutPath(hidden.errors)).toEqual(withoutPath(missing.errors));
        expect(hidden.status).toBe(missing.status);
      }
      expect(await counts()).toEqual(before);
      const row = await db.prisma.conversation.findUniqueOrThrow({ where: { id: theirs.id }, include: { chatSessions: true } });
      expect(row).toEqual(theirs);
    });

    it('malformed IDs are BAD_USER_INPUT: not base64, another type, not a UUID inside', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id);
      for (const conversationId of ['garbage!', '', chatSessionGid(mine.chatSessions[0].id), encodeGlobalID('User', user.id), encodeGlobalID('Conversation', '42'), mine.id]) {
        const r = await api.gql(RENAME, { input: { conversationId, title: 'x' } }, { token });
        expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
        expect(r.errors![0].extensions!.issues).toEqual([{ path: 'input.conversationId', message: 'must be the ID of a Conversation' }]);
      }
      expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: mine.id } })).title).toBe('Mine');
    });
  });

  describe('startChatSession', () => {
    it('adds a chat session and moves the conversation to the top', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id);
      const older = await conversationOf(user.id);
      const r = await api.gql(START_SESSION, { input: { conversationId: conversationGid(mine.id) } }, { token });
      expect(r.errors).toBeUndefined();
      const { chatSession, conversation } = r.data.startChatSession;
      expect(conversation.chatSessions.totalCount).toBe(2);
      expect(new Date(conversation.updatedAt).getTime()).toBeGreaterThan(mine.updatedAt.getTime());
      expect(await db.prisma.chatSession.findUniqueOrThrow({ where: { id: chatSession.threadId } })).toMatchObject({ conversationId: mine.id });
      const list = await api.gql('{ me { conversations(first: 10) { edges { node { id } } } } }', {}, { token });
      const ids = list.data.me.conversations.edges.map((e: { node: { id: string } }) => e.node.id);
      expect(ids[0]).toBe(conversationGid(mine.id));
      expect(ids).toContain(conversationGid(older.id));
    });
  });

  describe('renameConversation', () => {
    it('renames, trimmed', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id);
      const r = await api.gql(RENAME, { input: { conversationId: conversationGid(mine.id), title: '  Le groupe de la classe ' } }, { token });
      expect(r.data.renameConversation.conversation).toEqual({ id: conversationGid(mine.id), title: 'Le groupe de la classe' });
      expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: mine.id } })).title).toBe('Le groupe de la classe');
    });

    it('a blank or too long title is BAD_USER_INPUT and changes nothing', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id);
      for (const title of [' ', 'é'.repeat(201)]) {
        const r = await api.gql(RENAME, { input: { conversationId: conversationGid(mine.id), title } }, { token });
        expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
      }
      expect(await db.prisma.conversation.findUniqueOrThrow({ where: { id: mine.id } })).toMatchObject({ title: 'Mine', updatedAt: mine.updatedAt });
    });
  });

  describe('deleteConversation', () => {
    it('deletes the conversation with its chat sessions; a second delete is NOT_FOUND', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id, 3);
      const kept = await conversationOf(user.id, 2);
      const gid = conversationGid(mine.id);
      const r = await api.gql(DELETE, { input: { conversationId: gid } }, { token });
      expect(r.errors).toBeUndefined();
      expect(r.data.deleteConversation).toEqual({ deletedConversationId: gid });
      expect(await db.prisma.conversation.findUnique({ where: { id: mine.id } })).toBeNull();
      expect(await db.prisma.chatSession.count({ where: { id: { in: mine.chatSessions.map((s) => s.id) } } })).toBe(0);
      expect(await db.prisma.chatSession.count({ where: { conversationId: kept.id } })).toBe(2);
      expect(codesOf(await api.gql(CONVERSATION, { id: gid }, { token }))).toEqual(['NOT_FOUND']);
      expect(codesOf(await api.gql(DELETE, { input: { conversationId: gid } }, { token }))).toEqual(['NOT_FOUND']);
    });

    it('the domain function deletes in the caller\'s transaction and says whether there was one', async () => {
      const { user } = await person();
      const mine = await conversationOf(user.id, 2);
      expect(await db.prisma.$transaction((tx) => deleteConversation(tx, mine.id))).toBe(true);
      expect(await db.prisma.chatSession.count({ where: { conversationId: mine.id } })).toBe(0);
      expect(await db.prisma.$transaction((tx) => deleteConversation(tx, mine.id))).toBe(false);
    });
  });

  describe('no partial write when the database refuses half way', () => {
    // A real failure: a trigger makes PostgreSQL refuse the second statement of the transaction.
    async function withRefusal(timing: 'INSERT' | 'DELETE', fn: () => Promise<void>) {
      await db.query(`CREATE OR REPLACE FUNCTION app.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by a test trigger'; END $$`);
      await db.query(`CREATE TRIGGER test_refuse BEFORE ${timing} ON app.chat_session FOR EACH ROW EXECUTE FUNCTION app.test_refuse()`);
      try {
        await fn();
      } finally {
        await db.query('DROP TRIGGER test_refuse ON app.chat_session');
      }
    }

    it('startConversation: the conversation is not left without its chat session', async () => {
      const { token } = await person();
      const before = await counts();
      await withRefusal('INSERT', async () => {
        const r = await api.gql(START, { input: { conversationType: 'GENERAL', title: 'Half' } }, { token });
        expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
        expect(r.errors![0].message).not.toContain('refused');
      });
      expect(await counts()).toEqual(before);
      expect(await db.prisma.conversation.count({ where: { title: 'Half' } })).toBe(0);
    });

    it('startChatSession: the conversation is not bumped when the session cannot be created', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id);
      await withRefusal('INSERT', async () => {
        const r = await api.gql(START_SESSION, { input: { conversationId: conversationGid(mine.id) } }, { token });
        expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
      });
      const row = await db.prisma.conversation.findUniqueOrThrow({ where: { id: mine.id }, include: { chatSessions: true } });
      expect(row).toEqual(mine);
    });

    it('deleteConversation: nothing is deleted when a chat session cannot be', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id, 2);
      await withRefusal('DELETE', async () => {
        const r = await api.gql(DELETE, { input: { conversationId: conversationGid(mine.id) } }, { token });
        expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
      });
      const row = await db.prisma.conversation.findUniqueOrThrow({ where: { id: mine.id }, include: { chatSessions: true } });
      expect(row.chatSessions).toHaveLength(2);
    });
  });

  describe('submitFeedback', () => {
    it('records a rating of your own chat session, comment trimmed', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id);
      const sessionId = mine.chatSessions[0].id;
      const r = await api.gql(FEEDBACK, { input: { chatSessionId: chatSessionGid(sessionId), rating: 4, comment: '  Merci, ça aide ', isPositive: true } }, { token });
      expect(r.errors).toBeUndefined();
      expect(r.data.submitFeedback.feedback).toMatchObject({ sessionId, rating: 4, comment: 'Merci, ça aide', isPositive: true });
      // A Node: its id is a global ID (Feedback:<uuid>), as every cached entity's.
      const [typename, rawFeedbackId] = Buffer.from(r.data.submitFeedback.feedback.id, 'base64').toString().split(':');
      expect(typename).toBe('Feedback');
      const row = await db.prisma.feedback.findUniqueOrThrow({ where: { id: rawFeedbackId } });
      expect(row).toMatchObject({ sessionId, rating: 4, comment: 'Merci, ça aide', isPositive: true });
      // Operators with feedback:read see it.
      const { key } = await createApiKey(db.prisma, ['feedback:read']);
      const list = await api.gql('{ feedback(first: 50) { edges { node { id } } } }', {}, { apiKey: key });
      expect(list.data.feedback.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(r.data.submitFeedback.feedback.id);
    });

    it('a blank comment is no comment; 2000 characters fit', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id);
      const chatSessionId = chatSessionGid(mine.chatSessions[0].id);
      const blank = await api.gql(FEEDBACK, { input: { chatSessionId, rating: 1, comment: '   ', isPositive: false } }, { token });
      expect(blank.data.submitFeedback.feedback.comment).toBeNull();
      const long = await api.gql(FEEDBACK, { input: { chatSessionId, rating: 3, comment: 'é'.repeat(2000), isPositive: true } }, { token });
      expect(long.data.submitFeedback.feedback.comment).toHaveLength(2000);
    });

    it("someone else's chat session is NOT_FOUND, identical to a random id, and nothing is written", async () => {
      const owner = await person();
      const other = await person();
      const theirs = await conversationOf(owner.user.id);
      const before = await counts();
      const input = { rating: 5, isPositive: true };
      const hidden = await api.gql(FEEDBACK, { input: { ...input, chatSessionId: chatSessionGid(theirs.chatSessions[0].id) } }, { token: other.token });
      const missing = await api.gql(FEEDBACK, { input: { ...input, chatSessionId: chatSessionGid(randomUUID()) } }, { token: other.token });
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      expect(withoutPath(hidden.errors)).toEqual(withoutPath(missing.errors));
      expect(await counts()).toEqual(before);
    });

    it('refuses a rating outside 1-5, a comment over 2000 characters or a conversation ID, writing nothing', async () => {
      const { user, token } = await person();
      const mine = await conversationOf(user.id);
      const chatSessionId = chatSessionGid(mine.chatSessions[0].id);
      const before = await counts();
      for (const [input, path] of [
        [{ chatSessionId, rating: 0, isPositive: false }, 'input.rating'],
        [{ chatSessionId, rating: 6, isPositive: true }, 'input.rating'],
        [{ chatSessionId, rating: 5, isPositive: true, comment: 'x'.repeat(2001) }, 'input.comment'],
        [{ chatSessionId: conversationGid(mine.id), rating: 5, isPositive: true }, 'input.chatSessionId'],
      ] as const) {
        const r = await api.gql(FEEDBACK, { input }, { token });
        expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
        expect(r.errors![0].extensions!.issues).toEqual([expect.objectContaining({ path })]);
      }
      expect(await counts()).toEqual(before);
    });
  });
});

// Issue 14, item 2: every global ID input is read one way (t.globalID({ for })), and whatever is
// wrong with an id (not base64, another type, a key that is not a UUID where a row is named)
// answers one BAD_USER_INPUT naming the input, before the field's resolver runs.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';

describe(`global ID inputs (${dbKind})`, () => {
  const api = useTestApp();
  let token: string;
  let apiKey: string;

  beforeAll(async () => {
    const teen = await createUser(api.prisma, { userType: 'TEENAGER' });
    token = (await createSession(api.prisma, teen.id, 'FULL')).token;
    apiKey = (await createApiKey(api.prisma, ['*'])).key;
  });

  /** Three wrong ids for an input of `typename`: garbage, another type, a key that is not a UUID. */
  const wrong = (typename: string) => ['garbage!', encodeGlobalID('Query', randomUUID()), encodeGlobalID(typename, '42')];

  const cases = [
    { name: 'signOut', doc: 'mutation($v: ID) { signOut(input: { sessionId: $v }) { endedSessionIds } }', typename: 'AppSession', path: 'input.sessionId', message: 'must be the ID of an AppSession', as: 'user' },
    { name: 'submitFeedback', doc: 'mutation($v: ID!) { submitFeedback(input: { chatSessionId: $v, rating: 3, isPositive: true }) { feedback { id } } }', typename: 'ChatSession', path: 'input.chatSessionId', message: 'must be the ID of a ChatSession', as: 'user' },
    { name: 'grantParentalConsent', doc: `mutation($v: ID) { grantParentalConsent(input: { teenagerId: "${encodeGlobalID('User', randomUUID())}", requestId: $v, code: "x" }) { teenager { id } } }`, typename: 'ParentalAuthorizationRequest', path: 'input.requestId', message: 'must be the ID of a ParentalAuthorizationRequest', as: 'user' },
    { name: 'deleteDocument', doc: 'mutation($v: ID!) { deleteDocument(input: { id: $v }) { deleted } }', typename: 'Document', path: 'input.id', message: 'must be the ID of a Document', as: 'operator' },
    { name: 'appendMessages', doc: 'mutation($v: ID!) { appendMessages(input: { chatSessionId: $v, messages: [{ role: ASSISTANT, text: "hi" }] }) { count } }', typename: 'ChatSession', path: 'input.chatSessionId', message: 'must be the ID of a ChatSession', as: 'operator' },
    { name: 'analyticsSummary', doc: 'query($v: ID) { analyticsSummary(filter: { collectiveId: $v }) { conversations } }', typename: 'Collective', path: 'filter.collectiveId', message: 'must be the ID of a Collective', as: 'operator' },
  ] as const;

  it.each(cases)('$name: a malformed id, an id of another type and a non-UUID key answer alike, naming the input', async ({ doc, typename, path, message, as }) => {
    const auth = as === 'user' ? { token } : { apiKey };
    const answers = [];
    for (const v of wrong(typename)) {
      const r = await api.gql(doc, { v }, auth);
      expect(codesOf(r), v).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0].extensions!.issues, v).toEqual([{ path, message }]);
      expect(r.errors![0].message).toBe(`${path}: ${message}`);
      answers.push({ data: r.data, errors: r.errors!.map(({ message: m, extensions, path: p }) => ({ m, extensions, p })) });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('the payloads encode ids with Pothos: appendMessages returns Message global IDs', async () => {
    const started = await api.gql('mutation { startConversation(input: { conversationType: GENERAL }) { chatSession { id } } }', {}, { token });
    const chatSessionId = started.data.startConversation.chatSession.id as string;
    const r = await api.gql('mutation($c: ID!) { appendMessages(input: { chatSessionId: $c, messages: [{ role: ASSISTANT, text: "hello" }] }) { messageIds } }', { c: chatSessionId }, { apiKey });
    expect(r.errors).toBeUndefined();
    const [id] = r.data.appendMessages.messageIds as string[];
    const node = await api.gql('query($id: ID!) { node(id: $id) { id ... on Message { text } } }', { id }, { token });
    expect(node.data.node).toEqual({ id, text: 'hello' });
  });

  it('a refused id waits for authScopes: anonymous callers get UNAUTHENTICATED whatever is wrong, before any SQL', async () => {
    const docs = [
      ['mutation($v: ID!) { renameConversation(input: { conversationId: $v, title: "ok" }) { conversation { id } } }', 'Conversation'],
      ['mutation($v: ID!) { submitFeedback(input: { chatSessionId: $v, rating: 3, isPositive: true }) { feedback { id } } }', 'ChatSession'],
      ['mutation($v: ID!) { sendMessage(input: { chatSessionId: $v, text: "hi" }) { message { id } } }', 'ChatSession'],
    ] as const;
    for (const [doc, typename] of docs) {
      for (const v of [...wrong(typename), encodeGlobalID(typename, randomUUID())]) {
        const r = await api.gql(doc, { v });
        expect(codesOf(r), `${doc} ${v}`).toEqual(['UNAUTHENTICATED']);
        expect(r.sql).toBe(0);
      }
    }
  });

  it('a malformed id is reported with the other fields\' issues, as a non-UUID key is', async () => {
    const doc = 'mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { feedback { id } } }';
    const answers = [];
    for (const id of wrong('ChatSession')) {
      const r = await api.gql(doc, { i: { chatSessionId: id, rating: 9, isPositive: true, comment: 'x'.repeat(2001) } }, { token });
      expect(codesOf(r), id).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0].extensions!.issues, id).toEqual([
        { path: 'input.chatSessionId', message: 'must be the ID of a ChatSession' },
        { path: 'input.rating', message: expect.stringContaining('5') },
        { path: 'input.comment', message: 'must have at most 2000 characters' },
      ]);
      answers.push({ errors: r.errors, sql: r.sql });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('a lookup whose id has no row rule still answers a malformed id BAD_USER_INPUT, and a well-formed unknown one NOT_FOUND', async () => {
    const doc = 'query($v: ID!) { conversation(id: $v) { id } }';
    const bad = await api.gql(doc, { v: 'garbage!' }, { token });
    expect(codesOf(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors![0].extensions!.issues).toEqual([{ path: 'id', message: 'must be the ID of a Conversation' }]);
    const missing = await api.gql(doc, { v: encodeGlobalID('Conversation', 'refused') }, { token });
    expect(codesOf(missing)).toEqual(['NOT_FOUND']);
  });

  it('a null among the ids of nodes(ids:) is BAD_USER_INPUT whose reason stays readable (only the value is redacted)', async () => {
    const started = await api.gql('mutation { startConversation(input: { conversationType: GENERAL }) { conversation { id } } }', {}, { token });
    const id = started.data.startConversation.conversation.id as string;
    const r = await api.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [id, null] }, { token });
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].message).toBe('Variable "$ids" got an invalid value at "ids[1]"; Expected non-nullable type "ID!" not to be <redacted>.');
    const big = await api.gql('mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { feedback { id } } }', { i: { chatSessionId: id, rating: 2 ** 31, isPositive: true } }, { token });
    expect(big.errors![0].message).toBe('Variable "$i" got an invalid value at "i.rating"; Int cannot represent non 32-bit signed integer value: <redacted>');
  });

  it('a multi-root mutation document runs serially: a root refused by its rule leaves the earlier one written and stops the later ones (README)', async () => {
    const user = await createUser(api.prisma, { userType: 'TEENAGER' });
    const own = (await createSession(api.prisma, user.id, 'FULL')).token;
    const r = await api.gql(
      'mutation { a: startConversation(input: { conversationType: GENERAL, title: "first" }) { conversation { id } } b: startConversation(input: { conversationType: GENERAL, title: "  " }) { conversation { id } } c: startConversation(input: { conversationType: GENERAL, title: "third" }) { conversation { id } } }',
      {},
      { token: own },
    );
    expect(r.data).toBeNull();
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].path).toEqual(['b']);
    const titles = (await api.prisma.conversation.findMany({ where: { userId: user.id }, select: { title: true } })).map((c) => c.title);
    expect(titles).toEqual(['first']);
  });
});

// Issue 11, kinds 3 and 4: one rule for every String, ID and JSON input (no NUL, no lone
// surrogate, NFC), and documented bounds for lists and JSON, all refused before any SQL.
import { beforeAll, describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import { INPUT_BOUNDS } from '../src/input/bounds.ts';

const NUL = '\u0000';
const LONE_HIGH = '\ud800';

describe(`input rules (${dbKind})`, () => {
  const api = useTestApp();
  let token: string;
  let apiKey: string;
  let chatSessionId: string;

  beforeAll(async () => {
    const teen = await createUser(api.prisma, { userType: 'TEENAGER' });
    token = (await createSession(api.prisma, teen.id, 'FULL')).token;
    apiKey = (await createApiKey(api.prisma, ['*'])).key;
    const started = await api.gql(`mutation { startConversation(input: { conversationType: GENERAL }) { chatSession { id } } }`, {}, { token });
    chatSessionId = started.data.startConversation.chatSession.id;
  });

  const signIn = `mutation($input: SignInInput!) { signIn(input: $input) { token } }`;
  const signInInput = (extra: Record<string, unknown>) => ({ idp: 'MOCK_IDP', loginId: 'rules-user', origin: 'test', ...extra });
  const send = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { text } } }`;

  it('a NUL character in a String variable is BAD_USER_INPUT naming the argument path, with no SQL', async () => {
    const r = await api.gql(send, { input: { chatSessionId, text: `hello${NUL}` } }, { token });
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].extensions).toMatchObject({ argument: 'sendMessage.input.text' });
    expect(r.errors![0].message).toMatch(/NUL/);
    expect(r.sql).toBe(0); // refused before the session lookup
    const login = await api.gql(signIn, { input: signInInput({ loginId: `a${NUL}b` }) });
    expect(codesOf(login)).toEqual(['BAD_USER_INPUT']);
    expect(login.errors![0].extensions).toMatchObject({ argument: 'signIn.input.loginId' });
  });

  it('a NUL in a JSON key or value, and a lone surrogate in JSON or in text, are refused alike', async () => {
    for (const capabilities of [{ [`k${NUL}`]: 1 }, { a: { b: [`x${NUL}`] } }, { a: `bad${LONE_HIGH}` }, { [`k${LONE_HIGH}`]: true }]) {
      const r = await api.gql(signIn, { input: signInInput({ capabilities }) });
      expect(codesOf(r), JSON.stringify(capabilities)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0].extensions).toMatchObject({ argument: 'signIn.input.capabilities', issues: [{ path: 'input.capabilities' }] });
      expect(r.sql).toBe(0);
    }
    const lone = await api.gql(send, { input: { chatSessionId, text: `hi ${LONE_HIGH} there` } }, { token });
    expect(codesOf(lone)).toEqual(['BAD_USER_INPUT']);
    expect(lone.errors![0].message).toMatch(/surrogate/);
    // A well-formed pair (an emoji) is fine.
    const ok = await api.gql(send, { input: { chatSessionId, text: 'hi \ud83d\ude00' } }, { token });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.sendMessage.message.text).toBe('hi \ud83d\ude00');
  });

  it('a refused JSON key is echoed at most 120 characters long, so a megabyte key does not come back three times', async () => {
    const key = `${'k'.repeat(1_000_000)}${NUL}`;
    const r = await api.gql(signIn, { input: signInInput({ capabilities: { nested: { [key]: 1 } } }) });
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    const { jsonPath } = r.errors![0].extensions as { jsonPath: string };
    expect(jsonPath).toBe(`nested.${'k'.repeat(113)}…`);
    expect(JSON.stringify(r.errors).length).toBeLessThan(1_000);
    expect(r.sql).toBe(0);
  });

  it('the same rule holds for literals written in the document and for ID arguments', async () => {
    const literal = await api.gql(`mutation { signIn(input: { idp: MOCK_IDP, loginId: "x\\u0000y", origin: "test" }) { token } }`);
    expect(codesOf(literal)).toEqual(['BAD_USER_INPUT']);
    expect(literal.errors![0].extensions).toMatchObject({ argument: 'signIn.input.loginId' });
    // graphql-js's lexer already refuses a lone surrogate escape in a literal.
    const json = await api.gql(`mutation { signIn(input: { idp: MOCK_IDP, loginId: "x", origin: "test", capabilities: { a: "\\ud800" } }) { token } }`);
    expect(codesOf(json)).toEqual(['GRAPHQL_PARSE_FAILED']);
    const jsonNul = await api.gql(`mutation { signIn(input: { idp: MOCK_IDP, loginId: "x", origin: "test", capabilities: { a: "\\u0000" } }) { token } }`);
    expect(codesOf(jsonNul)).toEqual(['BAD_USER_INPUT']);
    expect(jsonNul.errors![0].extensions).toMatchObject({ argument: 'signIn.input.capabilities', jsonPath: 'a' });
    const id = await api.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: `abc${NUL}` }, { token });
    expect(codesOf(id)).toEqual(['BAD_USER_INPUT']);
    expect(id.errors![0].extensions).toMatchObject({ argument: 'node.id' });
    const fromDefault = await api.gql(`query($t: String = "a\\u0000") { invitationPreview(token: $t) { collectiveName } }`);
    expect(codesOf(fromDefault)).toEqual(['BAD_USER_INPUT']);
  });

  it('a document without variables is refused every time it is sent, and one that passed keeps passing (the pass is remembered per parsed document)', async () => {
    const bad = `mutation { signIn(input: { idp: MOCK_IDP, loginId: "x\\u0000y", origin: "test" }) { token } }`;
    for (let i = 0; i < 3; i++) expect(codesOf(await api.gql(bad))).toEqual(['BAD_USER_INPUT']);
    const good = '{ localizedContent(category: PROMPTS, language: "fr", keys: ["x"]) { key } }';
    const first = await api.gql(good);
    expect(first.errors).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const again = await api.gql(good);
      expect(again.errors).toBeUndefined();
      expect(again.data).toEqual(first.data);
    }
  });

  it('user-written text is normalized to NFC before its length is checked', async () => {
    const decomposed = 'e\u0301'; // "é" as e + combining acute: 2 code points, 1 in NFC
    const r = await api.gql(send, { input: { chatSessionId, text: `caf${decomposed}` } }, { token });
    expect(r.data.sendMessage.message.text).toBe('café');
    expect(r.data.sendMessage.message.text).toHaveLength(4);
    const literal = await api.gql(`mutation { startConversation(input: { conversationType: GENERAL, title: "caf${decomposed}" }) { conversation { title } } }`, {}, { token });
    expect(literal.data.startConversation.conversation.title).toBe('café');
    // 200 decomposed "é" are 400 code points but 200 characters in NFC: within the title's 200.
    const long = await api.gql(`mutation($t: String) { startConversation(input: { conversationType: GENERAL, title: $t }) { conversation { title } } }`, { t: decomposed.repeat(200) }, { token });
    expect(long.errors).toBeUndefined();
    expect(long.data.startConversation.conversation.title).toBe('é'.repeat(200));
  });

  it('a 5,000-deep JSON object in signIn.capabilities is refused, anonymously, before any SQL', async () => {
    // Written by hand: JSON.stringify itself may overflow the stack on 5,000 levels.
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const body = `{"query":${JSON.stringify(signIn)},"variables":{"input":{"idp":"MOCK_IDP","loginId":"deep","origin":"test","capabilities":${deep}}}}`;
    const res = await api.app.yoga.fetch('http://test.local/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const r = await res.json();
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors[0].extensions).toMatchObject({ argument: 'signIn.input.capabilities', maxDepth: INPUT_BOUNDS.jsonMaxDepth });
    expect(await api.prisma.idpLogin.count({ where: { loginId: 'deep' } })).toBe(0);
    let ok: unknown = 1;
    for (let i = 0; i < INPUT_BOUNDS.jsonMaxDepth; i++) ok = { a: ok };
    expect((await api.gql(signIn, { input: signInInput({ capabilities: ok }) })).errors).toBeUndefined();
  });

  it('a JSON input over its size bound is refused', async () => {
    const r = await api.gql(signIn, { input: signInInput({ capabilities: { blob: 'x'.repeat(INPUT_BOUNDS.jsonMaxBytes) } }) });
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].extensions).toMatchObject({ maxBytes: INPUT_BOUNDS.jsonMaxBytes });
  });

  it('appendMessages lists are refused by their own bounds (50 messages, 20 toolData, 10 followUpActions), before any SQL', async () => {
    const append = `mutation($i: AppendMessagesInput!) { appendMessages(input: $i) { count } }`;
    const msg = (extra: Record<string, unknown> = {}) => ({ role: 'TOOL', text: 't', ...extra });
    const cases: [unknown[], string, number][] = [
      [Array.from({ length: 51 }, () => msg()), 'appendMessages.input.messages', 50],
      [[msg({ toolData: Array.from({ length: 21 }, () => ({ name: 'kb', data: {} })) })], 'appendMessages.input.messages[0].toolData', 20],
      [[msg({ followUpActions: Array.from({ length: 11 }, () => 'ok') })], 'appendMessages.input.messages[0].followUpActions', 10],
    ];
    for (const [messages, argument, maxItems] of cases) {
      const r = await api.gql(append, { i: { chatSessionId, messages } }, { apiKey });
      expect(codesOf(r), argument).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0].extensions, argument).toMatchObject({ argument, maxItems });
      expect(r.sql, argument).toBe(0);
    }
    const atBounds = [msg({ toolData: Array.from({ length: 20 }, () => ({ name: 'kb', data: {} })), followUpActions: Array.from({ length: 10 }, () => 'ok') }), ...Array.from({ length: 49 }, () => msg())];
    expect((await api.gql(append, { i: { chatSessionId, messages: atBounds } }, { apiKey })).data.appendMessages.count).toBe(50);
  });

  it('a lookup key longer than its column (featureFlags names 100, localizedContent keys 200) is refused before any SQL, anonymously', async () => {
    const huge = 'x'.repeat(5_000_000);
    const flags = await api.gql(`query($n: [String!]) { featureFlags(names: $n) { name } }`, { n: ['ok', huge] });
    expect(codesOf(flags)).toEqual(['BAD_USER_INPUT']);
    expect(flags.errors![0].extensions).toMatchObject({ argument: 'featureFlags.names[1]', maxLength: 100 });
    expect(flags.sql).toBe(0);
    const keys = await api.gql(`{ localizedContent(category: UI_MESSAGES, keys: ["${'k'.repeat(201)}"]) { key } }`);
    expect(codesOf(keys)).toEqual(['BAD_USER_INPUT']);
    expect(keys.errors![0].extensions).toMatchObject({ argument: 'localizedContent.keys[0]', maxLength: 200 });
    expect(keys.sql).toBe(0);
    // At the bound, counted in characters (an emoji is one), the lookup runs.
    const atBound = await api.gql(`query($n: [String!]) { featureFlags(names: $n) { name } }`, { n: ['😀'.repeat(100)] });
    expect(atBound.errors).toBeUndefined();
    expect(atBound.data.featureFlags).toEqual([]);
  });

  it('lists of 100,000 items (featureFlags names, nodes ids, localizedContent keys) are refused before any SQL', async () => {
    const many = Array.from({ length: 100_000 }, (_, i) => `name_${i}`);
    const started = Date.now();
    const flags = await api.gql(`query($n: [String!]) { featureFlags(names: $n) { name } }`, { n: many });
    expect(codesOf(flags)).toEqual(['BAD_USER_INPUT']);
    expect(flags.errors![0].extensions).toMatchObject({ argument: 'featureFlags.names', maxItems: INPUT_BOUNDS.maxListItems });
    expect(flags.sql).toBe(0);
    const nodes = await api.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: many }, { apiKey });
    expect(codesOf(nodes)).toEqual(['BAD_USER_INPUT']);
    expect(nodes.errors![0].extensions).toMatchObject({ argument: 'nodes.ids' });
    expect(nodes.sql).toBe(0);
    const keys = await api.gql(`query($k: [String!]) { localizedContent(category: UI_MESSAGES, keys: $k) { key } }`, { k: many });
    expect(codesOf(keys)).toEqual(['BAD_USER_INPUT']);
    expect(keys.sql).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    // At the bound itself the query runs.
    const atBound = await api.gql(`query($n: [String!]) { featureFlags(names: $n) { name } }`, { n: many.slice(0, INPUT_BOUNDS.maxListItems) });
    expect(atBound.errors).toBeUndefined();
    // A literal list is bounded the same way.
    const literal = await api.gql(`{ featureFlags(names: [${many.slice(0, 101).map((n) => `"${n}"`).join(',')}]) { name } }`);
    expect(codesOf(literal)).toEqual(['BAD_USER_INPUT']);
  });

  it('field lengths count characters as the varchar column does: a 255-emoji loginId (510 UTF-16 units) is stored, 256 is refused, blank is refused', async () => {
    const SIGN_IN = 'mutation($i: SignInInput!) { signIn(input: $i) { created } }';
    const at = await api.gql(SIGN_IN, { i: { idp: 'MOCK_IDP', loginId: '😀'.repeat(255), origin: 'web' } });
    expect(at.errors).toBeUndefined();
    expect(at.data.signIn.created).toBe(true);
    expect(await api.prisma.idpLogin.count({ where: { loginId: '😀'.repeat(255) } })).toBe(1);
    const over = await api.gql(SIGN_IN, { i: { idp: 'MOCK_IDP', loginId: '😀'.repeat(256), origin: 'web' } });
    expect(codesOf(over)).toEqual(['BAD_USER_INPUT']);
    expect(over.errors![0].extensions!.issues).toEqual([{ path: 'input.loginId', message: 'must have at most 255 characters' }]);
    const blank = await api.gql(SIGN_IN, { i: { idp: 'MOCK_IDP', loginId: ' \t ', origin: 'web' } });
    expect(blank.errors![0].extensions!.issues).toEqual([{ path: 'input.loginId', message: 'must not be blank' }]);
  });
});

// Attacks on the fast read path (src/read-path), issue 13's review: hostile arguments, cursors,
// aliases, directives, viewers and stored values. Each probe runs through an app with the fast
// path and one without it on the same database; the responses must be identical.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, useTestApp } from './helpers/app.ts';
import { fastCount, response } from './helpers/read-path.ts';
import { createApiKey, createCollective, createSession, createUser } from './factories/index.ts';
import { encodeCursor } from '../src/schema/pagination.ts';
import { FAST_CONNECTION_ARGUMENTS, FAST_SQL_TAG } from '../src/read-path/compile.ts';
import { isVisible, visibleSql } from '../src/visibility.ts';
import { resolveViewer, type Viewer as Caller } from '../src/auth/viewer.ts';
import { createContext } from '../src/context.ts';
import { schema } from '../src/schema/index.ts';

const fast = useTestApp();
let ordinary: ReturnType<typeof createTestApp>;
type Viewer = { name: string; token?: string; apiKey?: string };
const viewers: Record<string, Viewer> = {};
const cursors: Record<string, string> = {};

beforeAll(async () => {
  ordinary = createTestApp(fast.db, { FAST_READ_PATH: 'off' });
  const p = fast.prisma;
  const owner = await createUser(p);
  const pending = await createUser(p);
  const other = await createUser(p);
  const strangerAdmin = await createUser(p, { userType: 'PARENT' });
  await createCollective(p, [{ userId: strangerAdmin.id, role: 'OWNER' }, { userId: other.id, role: 'MEMBER' }]);
    await p.conversation.create({ data: { userId: other.id, title: 'other', conversationType: 'GENERAL', chatSessions: { create: [{}] } } });
  const parent = await createUser(p, { userType: 'PARENT' });
  const admin = await createUser(p, { userType: 'PARENT' });
  await p.parentalConsent.create({ data: { parentId: parent.id, teenagerId: owner.id } });
  await createCollective(p, [
    { userId: admin.id, role: 'ADMIN' },
    { userId: owner.id, role: 'MEMBER' },
  ]);
  const titles = ['emoji 🧒🏽‍🦱 "quoted" \\ back', '{"json": [1, 2]}', 'tab\tnew\nline \u0001 ctl', 'ß ﬁ é\u0301 RTL \u202e', null];
  for (const [i, title] of titles.entries()) {
    const c = await p.conversation.create({ data: { userId: owner.id, title, summary: title, conversationType: i % 2 ? 'INCIDENT' : 'GENERAL', chatSessions: { create: [{}, {}] } } });
    cursors[`c${i}`] = encodeCursor([c.updatedAt, c.id]);
  }
  // Microseconds in the stored times (a write outside Prisma).
  await fast.prisma.$executeRawUnsafe(`UPDATE app.conversation SET updated_at = updated_at + interval '987 microseconds', created_at = created_at + interval '999 microseconds'`);
  await fast.prisma.$executeRawUnsafe(`UPDATE app.chat_session SET created_at = created_at + interval '999999 microseconds'`);
  await fast.prisma.$executeRawUnsafe(`UPDATE app."user" SET created_at = created_at + interval '500 microseconds', last_seen_at = '0999-01-02T03:04:05.678901Z' WHERE id = '${owner.id}'`);
  await p.conversation.create({ data: { userId: pending.id, title: 'pending one', conversationType: 'GENERAL' } });
  viewers.owner = { name: 'owner', token: (await createSession(p, owner.id)).token };
  viewers.pending = { name: 'pending', token: (await createSession(p, pending.id, 'PENDING_CONSENT')).token };
  viewers.onboarding = { name: 'onboarding', token: (await createSession(p, pending.id, 'ONBOARDING')).token };
  viewers.parent = { name: 'parent', token: (await createSession(p, parent.id)).token };
  viewers.other = { name: 'another teenager', token: (await createSession(p, other.id)).token };
  viewers.strangerAdmin = { name: "another collective's owner", token: (await createSession(p, strangerAdmin.id)).token };
  viewers.admin = { name: 'admin', token: (await createSession(p, admin.id)).token };
  viewers.expired = { name: 'expired', token: (await createSession(p, owner.id, 'FULL', -1000)).token };
  viewers.opAll = { name: 'op all', apiKey: (await createApiKey(p, ['users:read', 'conversations:read'])).key };
  viewers.opConversations = { name: 'op conversations', apiKey: (await createApiKey(p, ['conversations:read'])).key };
  viewers.opNone = { name: 'op none', apiKey: (await createApiKey(p, [])).key };
  viewers.opUsers = { name: 'op users', apiKey: (await createApiKey(p, ['users:read'])).key };
  viewers.opStar = { name: 'op *', apiKey: (await createApiKey(p, ['*'])).key };
  viewers.opRevoked = { name: 'op revoked', apiKey: (await createApiKey(p, ['*'], { isActive: false })).key };
  viewers.opExpired = { name: 'op expired', apiKey: (await createApiKey(p, ['*'], { expiresAt: new Date(Date.now() - 1000) })).key };
  viewers.anonymous = { name: 'anonymous' };
}, 120_000);

async function same(query: string, viewer: Viewer, variables?: Record<string, unknown>) {
  const options = { token: viewer.token, apiKey: viewer.apiKey };
  const a = await fast.gql(query, variables, options);
  const b = await ordinary.gql(query, variables, options);
  expect(response(a), `${viewer.name}: ${query} ${JSON.stringify(variables ?? {})}`).toEqual(response(b));
  return a;
}

const conv = 'id title summary conversationType createdAt updatedAt chatSessions { totalCount edges { cursor node { id threadId createdAt } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } }';
const meTree = `{ me { id createdAt lastSeenAt conversations { totalCount edges { cursor node { ${conv} } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } } }`;
const usersTree = `{ users(first: 10) { totalCount edges { cursor node { id createdAt lastSeenAt conversations(first: 10) { totalCount edges { cursor node { id conversationType createdAt updatedAt chatSessions(first: 5) { totalCount edges { cursor node { id createdAt } } } } } } } } } }`;

describe('fast read path under attack', () => {
  it('stored values: unicode, JSON-special, control characters, microseconds, year 999', async () => {
    const before = { me: await fastCount(fast.app, 'me'), users: await fastCount(fast.app, 'users') };
    for (const v of Object.values(viewers)) {
      await same(meTree, v);
      await same(usersTree, v);
    }
    // Not vacuous: the seven signed-in users' `me` and the full operators' `users` took the fast path.
    expect(await fastCount(fast.app, 'me')).toBe(before.me + 7);
    expect(await fastCount(fast.app, 'users')).toBe(before.users + 2);
  });

  it('aliases named like internal keys, __typename aliases, prototype names', async () => {
    const queries = [
      '{ me { __proto__: id constructor: id toString: createdAt hasOwnProperty: userType } }',
      '{ me { __typename: id id: userType userType: id } }',
      '{ me { _n: id _cursor: id result: id t0: id } }',
      '{ me { conversations { edges { _cursor: cursor _n: cursor node { __typename: title id: title title: id } } } } }',
      '{ me { a: conversations(first: 1) { totalCount } b: conversations(first: 2, type: INCIDENT) { totalCount edges { node { id } } } } }',
      '{ me { conversations(first: 1) { edges { node { id } } } ... on User { conversations(first: 1) { edges { node { title } } } } } }',
      '{ me { ...A ...B } } fragment A on User { c: conversations(first: 2) { edges { node { id } } } } fragment B on User { c: conversations(first: 2) { pageInfo { hasNextPage } } }',
      '{ me { conversations { edges { node { ... on Node { id } } } } } }',
      '{ me { ... on Node { id } } }',
      '{ users { edges { node { ... on Node { id } } } } }',
      '{ me { conversations { edges { node { ... on Conversation { chatSessions { edges { node { ... on ChatSession { id } } } } } } } } } }',
    ];
    const before = await fastCount(fast.app, 'me');
    for (const q of queries) for (const v of [viewers.owner, viewers.opAll, viewers.opStar, viewers.parent]) await same(q, v);
    expect(await fastCount(fast.app, 'me')).toBeGreaterThanOrEqual(before + 12);
  });

  it('directives with variables, @defer/@stream', async () => {
    const q = 'query Q($s: Boolean!, $i: Boolean!) { me { id @skip(if: $s) conversations { edges { node { title @include(if: $i) } } } } }';
    for (const variables of [{ s: true, i: false }, { s: false, i: true }]) for (const v of [viewers.owner, viewers.opAll]) await same(q, v, variables);
    for (const q2 of ['{ me { id ... @defer { conversations { totalCount } } } }', '{ me { conversations { edges @stream { node { id } } } } }']) {
      for (const v of [viewers.owner]) await same(q2, v);
    }
  });

  it('page arguments: huge, negative, last/before combinations, forged and foreign cursors', async () => {
    const forged = [
      encodeCursor([new Date(8.64e15), '00000000-0000-4000-8000-000000000000']),
      encodeCursor(['00000000-0000-4000-8000-000000000000', new Date(0)] as never),
      encodeCursor([new Date(0)]),
      encodeCursor([new Date(0), "x' OR 1=1 --"]),
      Buffer.from(`K1:["2026-01-01T00:00:00.000Z","00000000-0000-4000-8000-000000000000"] `).toString('base64url'),
      Buffer.from(`K1:["2026-01-01T00:00:00.000Z","00000000-0000-4000-8000-00000000000A"]`).toString('base64url'),
      Buffer.from(`K1:["0000-01-01T00:00:00.000Z","00000000-0000-4000-8000-000000000000"]`).toString('base64url'),
      "'; DROP TABLE app.user; --",
      '\u0000',
      'a'.repeat(5000),
      ...Object.values(cursors),
    ];
    const args = ['first: 2147483647', 'first: -1', 'first: 0', 'last: 1', 'last: 0', 'first: 1, last: 1', 'before: ""', 'after: ""', `first: 1, before: "${cursors.c1}"`, `last: 2, before: "${cursors.c1}"`, `after: "${cursors.c1}", before: "${cursors.c3}"`];
    for (const a of args) {
      await same(`{ me { conversations(${a}) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`, viewers.owner);
      await same(`{ users(${a}) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage } } }`, viewers.opAll);
    }
    for (const after of forged) {
      const variables = { after };
      await same('query Q($after: String) { me { conversations(after: $after) { totalCount edges { cursor node { id updatedAt } } pageInfo { hasNextPage hasPreviousPage } } } }', viewers.owner, variables);
      await same('query Q($after: String) { users(after: $after) { edges { cursor node { id } } } }', viewers.opAll, variables);
      await same('query Q($after: String) { me { conversations { edges { node { chatSessions(after: $after) { edges { cursor node { id } } } } } } } }', viewers.owner, variables);
    }
    await same('query Q($n: Int) { me { conversations(first: $n) { totalCount } } }', viewers.owner, { n: 1e12 });
    await same('query Q($t: ConversationType) { me { conversations(type: $t) { totalCount edges { node { id } } } } }', viewers.owner, { t: "GENERAL' OR '1'='1" });
    await same('query Q($t: ConversationType) { me { conversations(type: $t) { totalCount edges { node { id } } } } }', viewers.owner, { t: null });
  });

  it('viewers: pending consent, onboarding, parent, collective admin, expired and revoked keys and sessions, partial permissions', async () => {
    const qs = [meTree, usersTree, '{ users { edges { node { conversations { edges { node { title } } } } } } }', '{ users { edges { node { id conversations { totalCount } } } } }'];
    for (const q of qs) for (const v of Object.values(viewers)) await same(q, v);
  });

  it('a whole operation whose tree statement fails answers as the ordinary path, and the statement runs once', async () => {
    // A statement that fails on both databases: a table the statement reads is gone (renamed back after).
    await fast.prisma.$executeRawUnsafe('ALTER TABLE app.chat_session RENAME TO chat_session_gone');
    try {
      for (const [query, viewer] of [
        ['{ me { conversations { edges { node { chatSessions { totalCount } } } } } }', viewers.owner],
        ['{ users { edges { node { conversations { edges { node { chatSessions { totalCount } } } } } } } }', viewers.opAll],
      ] as const) {
        const r = await same(query, viewer);
        expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
        // The ordinary execution that answers reuses the failure: no second try of the same statement.
        expect(r.sqlLog.filter((s) => s.startsWith(FAST_SQL_TAG)), query).toHaveLength(1);
      }
    } finally {
      await fast.prisma.$executeRawUnsafe('ALTER TABLE app.chat_session_gone RENAME TO chat_session');
    }
  });

  it('a whole operation reads its variables as the ordinary execution coerces them, `__proto__` included', async () => {
    // yoga's executor drops a variable named __proto__ (a plain object's setter); graphql-js's
    // coercion keeps it: the whole operation must read what the ordinary execution reads.
    const query = 'query Q($__proto__: Int, $constructor: ConversationType) { me { conversations(first: $__proto__, type: $constructor) { totalCount edges { node { id } } } } }';
    const variables = JSON.parse('{"__proto__": 1, "constructor": "INCIDENT"}') as Record<string, unknown>;
    const before = await fastCount(fast.app, 'me');
    const r = await same(query, viewers.owner, variables);
    expect(await fastCount(fast.app, 'me')).toBe(before + 1);
    // Not vacuous: first: 1 is not read, type: INCIDENT is (two of the owner's five conversations).
    expect(r.data.me.conversations.edges).toHaveLength(2);
  });

  it('whole operations over every transport and operation choice answer as the ordinary path, in the same key order', async () => {
    // Raw HTTP through both apps: status, content type and the body's JSON (key order included;
    // the fast body's spacing is PostgreSQL's). SSE and multipart bodies: each JSON line compared.
    const me = '{ me { id conversations(first: 3) { totalCount edges { cursor node { id title summary } } pageInfo { endCursor } } } }';
    const body = (query: string, variables?: unknown, operationName?: string) => JSON.stringify({ query, variables, operationName });
    const requests: { label: string; method?: string; url?: string; accept?: string; body?: string }[] = [
      { label: 'graphql-response+json', body: body(me) },
      { label: 'json', accept: 'application/json', body: body(me) },
      { label: 'sse', accept: 'text/event-stream', body: body(me) },
      { label: 'multipart', accept: 'multipart/mixed', body: body(me) },
      { label: 'GET', method: 'GET', url: `?query=${encodeURIComponent(me)}` },
      { label: 'operationName picks the fast one', body: body(`query A ${me} query B { __typename }`, undefined, 'A') },
      { label: 'operationName picks the other', body: body(`query A ${me} query B { __typename }`, undefined, 'B') },
      { label: 'no operationName among two', body: body(`query A ${me} query B { __typename }`) },
      { label: 'unknown operationName', body: body(me, undefined, 'C') },
      { label: 'missing required variable', body: body('query Q($n: Int!) { me { conversations(first: $n) { totalCount } } }', {}) },
      { label: 'null for non-null', body: body('query Q($n: Int!) { me { conversations(first: $n) { totalCount } } }', { n: null }) },
      { label: 'variable of the wrong type', body: body('query Q($n: Int!) { me { conversations(first: $n) { totalCount } } }', { n: '2' }) },
      { label: '@skip on the root field', body: body('query Q($s: Boolean!) { me @skip(if: $s) { id } }', { s: true }) },
      { label: 'fragment spread at the root', body: body('{ ...Q } fragment Q on Query { me { id } }') },
      { label: 'alias on the root field', body: body('{ __typename: me { t: __typename id } }') },
      { label: 'root __typename alongside', body: body('{ __typename me { id } }') },
    ];
    const norm = (text: string) =>
      text
        .split('\n')
        .map((line) => line.replace(/^(data: )?(\{[^]*\})\r?$/, (_, data, json) => (data ?? '') + JSON.stringify(JSON.parse(json))))
        .filter((line) => !/^Content-Length/i.test(line))
        .join('\n');
    const send = async (app: typeof ordinary, r: (typeof requests)[number]) => {
      const res = await app.app.yoga.fetch(`http://test.local/graphql${r.url ?? ''}`, {
        method: r.method ?? 'POST',
        headers: { authorization: `Bearer ${viewers.owner.token}`, accept: r.accept ?? 'application/graphql-response+json', 'content-type': 'application/json' },
        body: r.body,
      });
      return { status: res.status, type: res.headers.get('content-type'), body: norm(await res.text()) };
    };
    const before = await fastCount(fast.app, 'me');
    for (const r of requests) expect(await send(fast, r), r.label).toEqual(await send(ordinary, r));
    // Not vacuous: the first five and the chosen operation were answered fast.
    expect(await fastCount(fast.app, 'me')).toBeGreaterThanOrEqual(before + 6);
  });

  it('concurrent whole operations of different viewers: each gets its own answer (no state shared between requests)', async () => {
    const cases = [viewers.owner, viewers.other, viewers.parent, viewers.admin, viewers.pending, viewers.opAll, viewers.opStar, viewers.anonymous].flatMap((v) => [
      { v, query: meTree },
      { v, query: usersTree },
    ]);
    const expected: ReturnType<typeof response>[] = [];
    for (const c of cases) expected.push(response(await ordinary.gql(c.query, {}, { token: c.v.token, apiKey: c.v.apiKey })));
    const before = (await fastCount(fast.app, 'me')) + (await fastCount(fast.app, 'users'));
    for (let round = 0; round < 3; round++) {
      const got = await Promise.all(cases.map((c) => fast.gql(c.query, {}, { token: c.v.token, apiKey: c.v.apiKey })));
      got.forEach((r, i) => expect(JSON.stringify(response(r)), `${cases[i].v.name}: ${cases[i].query}`).toBe(JSON.stringify(expected[i])));
    }
    // Not vacuous: five signed-in users' `me` and two operators' `users`, three rounds, were answered fast.
    expect((await fastCount(fast.app, 'me')) + (await fastCount(fast.app, 'users'))).toBe(before + 3 * 7);
  });

  it('reads no argument it does not know: the schema declares exactly the arguments the statement applies', () => {
    for (const [name, known] of Object.entries(FAST_CONNECTION_ARGUMENTS)) {
      const [type, field] = name.split('.');
      const declared = (schema.getType(type) as import('graphql').GraphQLObjectType).getFields()[field].args.map((a) => a.name);
      expect(declared.sort(), name).toEqual([...known].sort());
    }
  });

  it('each SQL form of a visibility rule answers as its JS form, for every kind of viewer and row', async () => {
    const services = fast.app.services;
    const rows = {
      User: await fast.prisma.user.findMany(),
      Conversation: await fast.prisma.conversation.findMany(),
      ChatSession: await fast.prisma.chatSession.findMany(),
    };
    const tables = { User: 'app."user"', Conversation: 'app.conversation', ChatSession: 'app.chat_session' };
    let checked = 0;
    for (const v of Object.values(viewers)) {
      const headers = new Headers(v.token ? { authorization: `Bearer ${v.token}` } : v.apiKey ? { 'x-api-key': v.apiKey } : {});
      let caller: Caller;
      try {
        caller = await resolveViewer(headers, { prisma: fast.prisma, queryOn: fast.db.queryOn, config: services.config, background: () => {} });
      } catch {
        continue; // expired or revoked: refused before any rule runs
      }
      for (const [typename, list] of Object.entries(rows)) {
        for (const row of list) {
          const ctx = createContext(services, caller, null);
          const params: unknown[] = [];
          const condition = visibleSql(typename, ctx, 't', (value) => `$${params.push(value)}`);
          const [sql] = await fast.prisma.$queryRawUnsafe<{ visible: boolean }[]>(
            `SELECT (${condition}) AS visible FROM ${tables[typename as keyof typeof tables]} t WHERE t.id = $${params.length + 1}::uuid`,
            ...params,
            row.id,
          );
          expect(sql.visible, `${v.name} sees ${typename} ${row.id}`).toBe(await isVisible(typename, row, ctx));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});

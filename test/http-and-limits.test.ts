// The HTTP contract (GraphQL over HTTP audits, health and readiness) and the limits that keep
// hostile or careless queries out: page sizes, depth, complexity, aliases, masked errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { serverAudits } from 'graphql-http';
import { createTestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp, useTestApp } from './helpers/app.ts';
import { createApiKey, createPopulation, createSession, person } from './factories/index.ts';

describe(`HTTP and limits (${dbKind})`, () => {
  const api = useTestApp();
  let key: string;
  let token: string;
  beforeAll(async () => {
    const { users } = await createPopulation(api.prisma, 3, { conversations: 30, chatSessions: 1, collectives: 1 });
    key = (await createApiKey(api.prisma, ['users:read', 'conversations:read'])).key;
    token = (await createSession(api.prisma, users[0].id)).token;
  });

  describe('GraphQL over HTTP audits (graphql-http)', () => {
    for (const audit of serverAudits({ url: 'http://test.local/graphql', fetchFn: (input: unknown, init?: RequestInit) => api.app.yoga.fetch(new URL(String(input)), init ?? {}) })) {
      it(audit.name, async () => {
        const result = await audit.fn();
        expect(result.status === 'ok' || result.status === 'notice', `${result.status}: ${'reason' in result ? result.reason : ''}`).toBe(true);
      });
    }
  });

  it('/health is live and /ready checks the database', async () => {
    expect((await api.app.yoga.fetch('http://test.local/health')).status).toBe(200);
    expect((await api.app.yoga.fetch('http://test.local/ready')).status).toBe(200);
  });

  it('connections default to 20 items; asking for more than 100 is refused by that connection before it reads a row', async () => {
    const q = `query($first: Int) { me { conversations(first: $first) { totalCount edges { node { id } } } } }`;
    const dflt = await api.gql(`{ me { conversations { totalCount edges { node { id } } } } }`, {}, { token });
    expect(dflt.data.me.conversations.edges).toHaveLength(20);
    const big = await api.gql(q, { first: 1000 }, { token });
    expect(codesOf(big)).toEqual(['BAD_USER_INPUT']);
    expect(big.errors![0].extensions).toMatchObject({ argument: 'first', max: 100 });
    expect(big.errors![0].path).toEqual(['me', 'conversations']);
    expect(big.sql).toBeLessThanOrEqual(2); // authentication, and `me` without a conversation row
    expect(codesOf(await api.gql(q, { first: -1 }, { token }))).toEqual(['BAD_USER_INPUT']);
  });

  it('last/before pages backwards in the same stable order', async () => {
    const all = await api.gql(`{ me { conversations(first: 30) { edges { cursor node { id } } } } }`, {}, { token });
    const ids = all.data.me.conversations.edges.map((e: { node: { id: string } }) => e.node.id);
    const last = await api.gql(`{ me { conversations(last: 5) { pageInfo { hasPreviousPage startCursor } edges { node { id } } } } }`, {}, { token });
    expect(last.data.me.conversations.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(ids.slice(-5));
    const before = await api.gql(`query($c: String!) { me { conversations(last: 5, before: $c) { edges { node { id } } } } }`, { c: last.data.me.conversations.pageInfo.startCursor }, { token });
    expect(before.data.me.conversations.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(ids.slice(-10, -5));
  });

  it('too deep a query is refused before it runs', async () => {
    const deep = `{ me { memberships { collective { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } }`;
    const r = await api.gql(deep, {}, { token });
    expect(codesOf(r)).toContain('QUERY_TOO_COMPLEX');
    expect(r.sql).toBeLessThanOrEqual(1); // authentication only
  });

  it('too costly a query is refused with the measure and the limit', async () => {
    const r = await api.gql(`{ users(first: 100) { edges { node { conversations(first: 100) { edges { node { chatSessions(first: 100) { totalCount } } } } } } } }`, {}, { apiKey: key });
    expect(codesOf(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.errors![0].extensions).toMatchObject({ measure: 'complexity', limit: 25000 });
  });

  it('alias flooding is refused', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: health { status }`).join(' ');
    const r = await api.gql(`{ ${aliases} }`);
    // graphql-armor leaves its refusal without a code; the masking gives it the validation code.
    expect(codesOf(r)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(r.errors![0].message).toMatch(/Aliases limit of 30/);
    expect(r.data ?? null).toBeNull();
    const subscription = await api.gql(`subscription { health { status } }`);
    expect(codesOf(subscription)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('an internal failure is masked: no message, no stack, a stable code', async () => {
    const broken = await createTestDatabase();
    const brokenApi = createTestApp(broken);
    await broken.destroy();
    const r = await brokenApi.gql('{ featureFlags { name } }');
    expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(r.errors![0].message).toBe('Unexpected error.');
    expect(JSON.stringify(r.errors)).not.toMatch(/stack|prisma|pglite|postgres|at \w+ \(/i);
  });

  it('production hides introspection and field suggestions', async () => {
    const prod = createTestApp(api.db, { APP_ENV: 'production' });
    const intro = await prod.gql('{ __schema { types { name } } }');
    expect(intro.errors?.length).toBeGreaterThan(0);
    const typo = await prod.gql('{ helth { status } }');
    expect(JSON.stringify(typo.errors)).not.toMatch(/Did you mean/);
    const dev = await api.gql('{ __schema { queryType { name } } }');
    expect(dev.errors).toBeUndefined();
  });
});

describe(`input that does not coerce (${dbKind})`, () => {
  const api = useTestApp();

  it('a variable of the wrong type, an unknown enum value or a malformed global id is BAD_USER_INPUT, not an internal error', async () => {
    const { token } = await person(api.prisma);
    expect(codesOf(await api.gql('query($id: ID!) { conversation(id: $id) { id } }', { id: 'garbage' }, { token }))).toEqual(['BAD_USER_INPUT']);
    // Anonymous, the field's authScopes answer first, whatever is wrong with the id (README).
    expect(codesOf(await api.gql('query($id: ID!) { conversation(id: $id) { id } }', { id: 'garbage' }))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await api.gql('query($t: ContentCategory!) { localizedContent(category: $t) { key } }', { t: 'NOPE' }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await api.gql('query($n: [String!]) { featureFlags(names: $n) { name } }', { n: 7 }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await api.gql('query($l: LanguageCode) { localizedContent(category: UI_MESSAGES, language: $l) { key } }', { l: 'FRA' }))).toEqual(['BAD_USER_INPUT']);
  });
});

// The number of SQL statements per request is fixed by the query's shape, never by its rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp } from './helpers/app.ts';
import { createApiKey, createPopulation, createSession, gid } from './factories/index.ts';

const DEEP = /* GraphQL */ `
  query Deep($n: Int!) {
    users(first: $n) {
      totalCount
      edges {
        node {
          id
          userType
          conversations(first: 5) {
            totalCount
            edges { node { id conversationType user { id } chatSessions(first: 3) { totalCount edges { node { id createdAt } } } } }
          }
          memberships { role collective { id name } }
          collectives { id name members(first: 3) { totalCount edges { node { role } } } }
        }
      }
    }
  }
`;

const ME = /* GraphQL */ `
  query MeDeep {
    me {
      id
      conversations(first: 5) { totalCount edges { node { title chatSessions(first: 3) { totalCount edges { node { id } } } } } }
      collectives { name members(first: 50) { totalCount edges { node { role user { id userType } } } } }
    }
  }
`;

async function world(n: number) {
  const db = await createTestDatabase();
  const { users } = await createPopulation(db.prisma, n);
  const { key } = await createApiKey(db.prisma, ['users:read', 'conversations:read', 'collectives:read']);
  const { token } = await createSession(db.prisma, users[0].id);
  const api = createTestApp(db, { MAX_QUERY_COMPLEXITY: '100000' });
  // The first use of a key records lastUsedAt (at most once a minute): measure the steady state.
  await api.gql('{ health { status } }', {}, { apiKey: key });
  return { db, key, token, api };
}

describe(`round trips do not grow with rows (${dbKind})`, () => {
  let small: Awaited<ReturnType<typeof world>>;
  let large: Awaited<ReturnType<typeof world>>;
  beforeAll(async () => {
    small = await world(5);
    large = await world(50);
  });
  afterAll(async () => {
    await small?.db.destroy();
    await large?.db.destroy();
  });

  it('a deep operator query over 5 and over 50 users sends the same small number of statements', async () => {
    const a = await small.api.gql(DEEP, { n: 5 }, { apiKey: small.key });
    const b = await large.api.gql(DEEP, { n: 50 }, { apiKey: large.key });
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    expect(a.data.users.edges).toHaveLength(5);
    expect(b.data.users.edges).toHaveLength(50);
    const node = b.data.users.edges[7].node;
    expect(node.conversations.totalCount).toBe(3);
    expect(node.conversations.edges[0].node.chatSessions.totalCount).toBe(2);
    expect(node.collectives).toHaveLength(2);
    expect(node.collectives[0].members.totalCount).toBe(50);
    console.log(`deep query: ${a.sql} statements for 5 users, ${b.sql} for 50`);
    expect(b.sql).toBe(a.sql);
    // API key; the whole users tree with every count (relation joins); users' totalCount.
    expect(b.sql).toBe(3);
  });

  it('the same shape from me is constant too', async () => {
    const a = await small.api.gql(ME, {}, { token: small.token });
    const b = await large.api.gql(ME, {}, { token: large.token });
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    expect(b.data.me.collectives[0].members.edges).toHaveLength(50);
    console.log(`me query: ${a.sql} statements with 5 members, ${b.sql} with 50`);
    expect(b.sql).toBe(a.sql);
    // Session with its user and roles; then the whole tree in one statement. Authorization of
    // the members' profiles is answered from the membership rows already loaded.
    expect(b.sql).toBe(2);
  });

  it('nodes(ids:) over mixed types costs one statement per type, whatever the count', async () => {
    async function ids(w: typeof small) {
      const users = await w.db.prisma.user.findMany({ select: { id: true } });
      const conversations = await w.db.prisma.conversation.findMany({ select: { id: true } });
      const collectives = await w.db.prisma.collective.findMany({ select: { id: true } });
      // At most 40 of a type: nodes(ids:) takes 100 ids (src/input/bounds.ts).
      const some = <T,>(rows: T[]) => rows.slice(0, 40);
      return [...some(users).map((u) => gid('User', u.id)), ...some(conversations).map((c) => gid('Conversation', c.id)), ...some(collectives).map((c) => gid('Collective', c.id))];
    }
    const q = 'query N($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on User { userType } ... on Conversation { conversationType } ... on Collective { name } } }';
    const idsSmall = await ids(small);
    const idsLarge = await ids(large);
    const a = await small.api.gql(q, { ids: idsSmall }, { apiKey: small.key });
    const b = await large.api.gql(q, { ids: idsLarge }, { apiKey: large.key });
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    expect(b.data.nodes).toHaveLength(idsLarge.length);
    expect(new Set(b.data.nodes.map((n: { __typename: string }) => n.__typename))).toEqual(new Set(['User', 'Conversation', 'Collective']));
    console.log(`nodes: ${a.sql} statements for ${idsSmall.length} ids, ${b.sql} for ${idsLarge.length}`);
    expect(b.sql).toBe(a.sql);
    expect(b.sql).toBe(4); // API key, then one per type
  });
});

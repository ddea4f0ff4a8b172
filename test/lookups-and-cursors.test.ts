// Client mistakes with ids and cursors (issue 11, kinds 1 and 2), on the demo world: a missing
// row answers like a hidden one, one bad id fails only its own field (or item), and every
// connection pages by keyset with one cursor format, so a cursor keeps its place when its row is
// deleted between pages.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { getNamedType, isInterfaceType, isObjectType, type GraphQLFormattedError } from 'graphql';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createApiKey, createCollective, createSession, createUser, gid, rawId } from './factories/index.ts';
import { defaultContentDir, demoIds, seedDatabase } from '../src/seed/index.ts';
import { createPgMessageStore } from '../src/messages/pg-store.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ZERO = '00000000-0000-0000-0000-000000000000';
const NODE = `query($id: ID!) { node(id: $id) { id } }`;

/** What a client sees of an error, without its path. */
const seen = (e: GraphQLFormattedError) => ({ message: e.message, extensions: e.extensions });

describe(`lookups and cursors (${dbKind})`, () => {
  const api = useTestApp({ env: { MAX_QUERY_COMPLEXITY: '100000' }, deps: (db) => ({ messages: createPgMessageStore(db.prisma) }) });
  let lea = '';
  let operatorKey = '';
  beforeAll(async () => {
    await seedDatabase(api.prisma, { contentDir: defaultContentDir });
    lea = (await createSession(api.prisma, demoIds.leaMoreau)).token;
    operatorKey = (await createApiKey(api.prisma, ['users:read', 'feedback:read', 'collectives:read', 'conversations:read'])).key;
  });

  describe('node(id:) and nodes(ids:)', () => {
    it('a missing collective answers exactly like class 5e B, which Léa may not see', async () => {
      const hidden = await api.gql(NODE, { id: gid('Collective', demoIds.class5eB) }, { token: lea });
      const missing = await api.gql(NODE, { id: gid('Collective', ZERO) }, { token: lea });
      expect(hidden.data).toEqual({ node: null });
      expect(missing.data).toEqual({ node: null });
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      expect(missing.errors).toEqual(hidden.errors);
    });

    it('every node type answers NOT_FOUND alike for a missing row, a key that is not a UUID, and an unknown or unservable type', async () => {
      const nodeType = api.app.schema.getType('Node');
      if (!isInterfaceType(nodeType)) throw new Error('no Node interface');
      const types = api.app.schema.getImplementations(nodeType).objects.map((t) => t.name);
      expect(types).toEqual(expect.arrayContaining(['User', 'Conversation', 'ChatSession', 'Collective', 'CollectiveMembership', 'Invitation', 'Message']));
      const hidden = await api.gql(NODE, { id: gid('Collective', demoIds.class5eB) }, { token: lea });
      const baseline = await api.gql('{ __typename }', {}, { token: lea });
      const ids = [
        ...types.flatMap((t) => [gid(t, ZERO), gid(t, randomUUID()), gid(t, '12'), gid(t, 'abc'), gid(t, `${ZERO}x`)]),
        gid('Nope', ZERO),
        gid('FeatureFlag', ZERO), // an object type, not served by id
        gid('Query', 'x'),
      ];
      for (const id of ids) {
        const r = await api.gql(NODE, { id }, { token: lea });
        expect(r.data, Buffer.from(id, 'base64').toString()).toEqual({ node: null });
        expect(r.errors!.map(seen), Buffer.from(id, 'base64').toString()).toEqual(hidden.errors!.map(seen));
        expect(r.errors![0].path).toEqual(['node']);
      }
      // A key that cannot name a row, or a type not served by id, costs no query.
      for (const id of [gid('User', '12'), gid('Nope', ZERO), gid('FeatureFlag', ZERO)]) {
        expect((await api.gql(NODE, { id }, { token: lea })).sql).toBe(baseline.sql);
      }
    });

    it('user(id:), conversation(id:) and collective(id:) answer NOT_FOUND alike for hidden, missing and non-UUID keys', async () => {
      const hidden = await api.gql(`query($id: ID!) { collective(id: $id) { id } }`, { id: gid('Collective', demoIds.class5eB) }, { token: lea });
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      for (const [field, type] of [['user', 'User'], ['conversation', 'Conversation'], ['collective', 'Collective']]) {
        for (const key of [ZERO, randomUUID(), '12', 'abc', `${ZERO}x`]) {
          const r = await api.gql(`query($id: ID!) { health { status } ${field}(id: $id) { id } }`, { id: gid(type, key) }, { token: lea });
          expect(r.data, `${field} ${key}`).toEqual({ health: { status: 'ok' }, [field]: null });
          expect(r.errors!.map(seen), `${field} ${key}`).toEqual(hidden.errors!.map(seen));
        }
      }
    });

    it('a missing row costs the statements a hidden one does, for every node type and user/conversation/collective(id:)', async () => {
      const other = await createUser(api.prisma);
      await createSession(api.prisma, other.id);
      const conv = await api.prisma.conversation.create({
        data: { userId: other.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } },
        include: { chatSessions: true },
      });
      const session = conv.chatSessions[0];
      const message = await api.prisma.message.create({ data: { conversationId: conv.id, chatSessionId: session.id, userId: other.id, role: 'USER', text: 'x' } });
      const hidden: [string, string][] = [
        ['User', other.id],
        ['Conversation', conv.id],
        ['ChatSession', session.id],
        ['Collective', demoIds.class5eB],
        ['CollectiveMembership', (await api.prisma.collectiveMembership.findFirstOrThrow({ where: { collectiveId: demoIds.class5eB } })).id],
        ['Invitation', (await api.prisma.invitation.findFirstOrThrow({ where: { collectiveId: demoIds.class5eB } })).id],
        ['Message', message.id],
        ['AppSession', (await api.prisma.appSession.findFirstOrThrow({ where: { userId: other.id } })).id],
        ['Feedback', (await api.prisma.feedback.create({ data: { sessionId: session.id, rating: 3, isPositive: true } })).id],
      ];
      for (const [type, id] of hidden) {
        const h = await api.gql(NODE, { id: gid(type, id) }, { token: lea });
        const m = await api.gql(NODE, { id: gid(type, randomUUID()) }, { token: lea });
        expect(codesOf(h), type).toEqual(['NOT_FOUND']);
        expect(m.errors, type).toEqual(h.errors);
        expect(m.sql, type).toBe(h.sql);
      }
      for (const [field, type, id] of [['user', 'User', other.id], ['conversation', 'Conversation', conv.id], ['collective', 'Collective', demoIds.class5eB]]) {
        const q = `query($id: ID!) { ${field}(id: $id) { id } }`;
        const h = await api.gql(q, { id: gid(type, id) }, { token: lea });
        const m = await api.gql(q, { id: gid(type, randomUUID()) }, { token: lea });
        expect(m.errors, field).toEqual(h.errors);
        expect(m.sql, field).toBe(h.sql);
      }
    });

    it('an id that is not a global ID at all is BAD_USER_INPUT for that field only', async () => {
      for (const id of ['garbage', '', '%%%', b64('no-colon'), b64('User:'), b64(`:${ZERO}`)]) {
        const r = await api.gql(`query($id: ID!) { health { status } me { id } node(id: $id) { id } }`, { id }, { token: lea });
        expect(r.data).toEqual({ health: { status: 'ok' }, me: { id: gid('User', demoIds.leaMoreau) }, node: null });
        expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
        expect(r.errors![0].path).toEqual(['node']);
      }
    });

    it('nodes(ids:) answers each id on its own: null with the error at ["nodes", i], the other items intact', async () => {
      const me = gid('User', demoIds.leaMoreau);
      const family = gid('Collective', demoIds.familyMoreau);
      const ids = [me, gid('Collective', ZERO), family, gid('Collective', demoIds.class5eB), 'garbage', gid('Nope', 'x'), gid('User', '12'), me];
      const r = await api.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }, { token: lea });
      expect(r.data).toEqual({ nodes: [{ id: me }, null, { id: family }, null, null, null, null, { id: me }] });
      const byPath = Object.fromEntries(r.errors!.map((e) => [JSON.stringify(e.path), e.extensions?.code]));
      expect(byPath).toEqual({
        '["nodes",1]': 'NOT_FOUND',
        '["nodes",3]': 'NOT_FOUND',
        '["nodes",4]': 'BAD_USER_INPUT',
        '["nodes",5]': 'NOT_FOUND',
        '["nodes",6]': 'NOT_FOUND',
      });
      // The missing and the hidden item read the same.
      expect(seen(r.errors!.find((e) => e.path![1] === 1)!)).toEqual(seen(r.errors!.find((e) => e.path![1] === 3)!));
    });

    it('a malformed id passed to one root field fails only that field', async () => {
      const a = await api.gql(`{ me { id } conversation(id: "garbage") { id } }`, {}, { token: lea });
      expect(a.data).toEqual({ me: { id: gid('User', demoIds.leaMoreau) }, conversation: null });
      expect(a.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([[['conversation'], 'BAD_USER_INPUT']]);

      const b = await api.gql(`{ health { status } conversation(id: "garbage") { id } }`, {}, { token: lea });
      expect(b.data).toEqual({ health: { status: 'ok' }, conversation: null });
      expect(b.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([[['conversation'], 'BAD_USER_INPUT']]);

      const c = await api.gql(
        `{ health { status } user(id: "garbage") { id } collective(id: "x") { id } nodes(ids: ["garbage"]) { id } me { conversations(first: 1) { totalCount } } }`,
        {},
        { token: lea },
      );
      expect(c.data).toEqual({ health: { status: 'ok' }, user: null, collective: null, nodes: [null], me: { conversations: { totalCount: 3 } } });
      expect(codesOf(c)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT', 'BAD_USER_INPUT']);
    });
  });

  describe('cursors', () => {
    const MY_CONVERSATIONS = `query($first: Int, $last: Int, $after: String, $before: String) {
      me { conversations(first: $first, last: $last, after: $after, before: $before) {
        totalCount edges { cursor node { id } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } } }`;

    it('every connection of the schema is covered by the keyset tests below', () => {
      const connections: string[] = [];
      for (const type of Object.values(api.app.schema.getTypeMap())) {
        if (!isObjectType(type) || type.name.startsWith('__')) continue;
        for (const field of Object.values(type.getFields())) {
          if (getNamedType(field.type).name.endsWith('Connection')) connections.push(`${type.name}.${field.name}`);
        }
      }
      expect(connections.sort()).toEqual(
        ['ChatSession.messages', 'Collective.invitations', 'Collective.members', 'Conversation.chatSessions', 'Conversation.messages', 'Query.feedback', 'Query.users', 'User.conversations'].sort(),
      );
    });

    it('the reproduction: start a conversation, take its cursor, delete it; the page after it still holds the 3 that follow, and last/before likewise', async () => {
      const { token } = await createSession(api.prisma, demoIds.leaMoreau);
      const started = await api.gql(
        `mutation { startConversation(input: { conversationType: GENERAL, title: "Nouvelle" }) { conversation { id } } }`,
        {},
        { token },
      );
      expect(started.errors).toBeUndefined();
      const first = await api.gql(MY_CONVERSATIONS, { first: 1 }, { token });
      const edge = first.data.me.conversations.edges[0];
      expect(edge.node.id).toBe(started.data.startConversation.conversation.id);
      const deleted = await api.gql(`mutation($id: ID!) { deleteConversation(input: { conversationId: $id }) { deletedConversationId } }`, { id: edge.node.id }, { token });
      expect(deleted.errors).toBeUndefined();
      const after = await api.gql(MY_CONVERSATIONS, { first: 10, after: edge.cursor }, { token });
      expect(after.errors).toBeUndefined();
      expect(after.data.me.conversations.edges).toHaveLength(3);
      expect(after.data.me.conversations.totalCount).toBe(3);

      // Backwards: the oldest conversation's cursor, deleted, still bounds the page before it.
      const all = (await api.gql(MY_CONVERSATIONS, { first: 10 }, { token })).data.me.conversations.edges;
      const victim = await api.prisma.conversation.create({
        data: { userId: demoIds.leaMoreau, conversationType: 'GENERAL', updatedAt: new Date('2000-01-01T00:00:00Z') },
      });
      const withVictim = (await api.gql(MY_CONVERSATIONS, { last: 1 }, { token })).data.me.conversations;
      expect(withVictim.edges[0].node.id).toBe(gid('Conversation', victim.id));
      await api.prisma.conversation.delete({ where: { id: victim.id } });
      const before = await api.gql(MY_CONVERSATIONS, { last: 10, before: withVictim.endCursor }, { token });
      expect(before.data.me.conversations.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(all.map((e: { node: { id: string } }) => e.node.id));
    });

    /** Page a connection with a deleted cursor row, both ways. `page` reads ids and cursors. */
    async function keepsPlace(
      page: (args: Record<string, unknown>) => Promise<{ ids: string[]; cursors: string[]; pageInfo: Record<string, unknown> }>,
      remove: (id: string) => Promise<unknown>,
      at: { forward: number; backward: number },
    ) {
      const all = await page({ first: 100 });
      expect(all.pageInfo.hasNextPage).toBe(false);
      expect(at.forward + 1).toBeLessThan(at.backward);
      const { forward: k, backward: j } = at;
      await remove(all.ids[k]);
      const after = await page({ first: 100, after: all.cursors[k] });
      expect(after.ids).toEqual(all.ids.slice(k + 1));
      // A short page after the deleted cursor, and the page after that one.
      const two = await page({ first: 2, after: all.cursors[k] });
      expect(two.ids).toEqual(all.ids.slice(k + 1, k + 3));
      expect(two.pageInfo).toMatchObject({ hasNextPage: all.ids.length > k + 3, hasPreviousPage: true });
      const next = await page({ first: 2, after: two.pageInfo.endCursor });
      expect(next.ids).toEqual(all.ids.slice(k + 3, k + 5));

      await remove(all.ids[j]);
      const expected = all.ids.slice(0, j).filter((_, i) => i !== k);
      const before = await page({ last: 100, before: all.cursors[j] });
      expect(before.ids).toEqual(expected);
      const last2 = await page({ last: 2, before: all.cursors[j] });
      expect(last2.ids).toEqual(expected.slice(-2));
      expect(last2.pageInfo).toMatchObject({ hasPreviousPage: expected.length > 2, hasNextPage: true });
      // Both bounds at once: the rows strictly between the two deleted cursors.
      const between = await page({ first: 100, after: all.cursors[k], before: all.cursors[j] });
      expect(between.ids).toEqual(all.ids.slice(k + 1, j));
    }

    const read = (conn: { edges: { cursor: string; node: { id: string } }[]; pageInfo: Record<string, unknown> }) => ({
      ids: conn.edges.map((e) => e.node.id),
      cursors: conn.edges.map((e) => e.cursor),
      pageInfo: conn.pageInfo,
    });
    const CONN = `edges { cursor node { id } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage }`;
    const VARS = `$first: Int, $last: Int, $after: String, $before: String`;
    const ARGS = `first: $first, last: $last, after: $after, before: $before`;
    // Distinct times, and two rows sharing one: the id breaks the tie.
    const times = (base: string) => [0, 1, 2, 2, 3, 4, 5].map((m) => new Date(Date.parse(base) + m * 60_000));

    it('User.conversations (updatedAt desc) keeps its place', async () => {
      const teen = await createUser(api.prisma);
      const { token } = await createSession(api.prisma, teen.id);
      for (const updatedAt of times('2026-10-01T08:00:00Z')) {
        await api.prisma.conversation.create({ data: { userId: teen.id, conversationType: 'GENERAL', updatedAt } });
      }
      const page = async (args: Record<string, unknown>) =>
        read((await api.gql(`query(${VARS}) { me { conversations(${ARGS}) { ${CONN} } } }`, args, { token })).data.me.conversations);
      await keepsPlace(page, (id) => api.prisma.conversation.delete({ where: { id: rawId(id) } }), { forward: 1, backward: 4 });
    });

    it('Conversation.chatSessions (createdAt asc) keeps its place', async () => {
      const teen = await createUser(api.prisma);
      const { token } = await createSession(api.prisma, teen.id);
      const conv = await api.prisma.conversation.create({ data: { userId: teen.id, conversationType: 'GENERAL' } });
      for (const createdAt of times('2026-10-01T08:00:00Z')) await api.prisma.chatSession.create({ data: { conversationId: conv.id, createdAt } });
      const page = async (args: Record<string, unknown>) =>
        read((await api.gql(`query($id: ID!, ${VARS}) { conversation(id: $id) { chatSessions(${ARGS}) { ${CONN} } } }`, { id: gid('Conversation', conv.id), ...args }, { token })).data.conversation.chatSessions);
      await keepsPlace(page, (id) => api.prisma.chatSession.delete({ where: { id: rawId(id) } }), { forward: 2, backward: 5 });
    });

    it('Collective.members (createdAt asc) and Collective.invitations (createdAt desc) keep their place', async () => {
      const owner = await createUser(api.prisma, { userType: 'PARENT' });
      const { token } = await createSession(api.prisma, owner.id);
      const collective = await createCollective(api.prisma, [{ userId: owner.id, role: 'OWNER' }]);
      for (const createdAt of times('2026-10-02T08:00:00Z')) {
        const u = await createUser(api.prisma);
        await api.prisma.collectiveMembership.create({ data: { userId: u.id, collectiveId: collective.id, role: 'MEMBER', createdAt } });
        await api.prisma.invitation.create({
          data: { collectiveId: collective.id, inviterId: owner.id, tokenHash: randomUUID().replace(/-/g, ''), language: 'fr', createdAt, expiresAt: new Date('2030-01-01T00:00:00Z') },
        });
      }
      const members = async (args: Record<string, unknown>) =>
        read((await api.gql(`query($id: ID!, ${VARS}) { collective(id: $id) { members(${ARGS}) { ${CONN} } } }`, { id: gid('Collective', collective.id), ...args }, { token })).data.collective.members);
      await keepsPlace(members, (id) => api.prisma.collectiveMembership.delete({ where: { id: rawId(id) } }), { forward: 2, backward: 6 });
      const invitations = async (args: Record<string, unknown>) =>
        read((await api.gql(`query($id: ID!, ${VARS}) { collective(id: $id) { invitations(${ARGS}) { ${CONN} } } }`, { id: gid('Collective', collective.id), ...args }, { token })).data.collective.invitations);
      await keepsPlace(invitations, (id) => api.prisma.invitation.delete({ where: { id: rawId(id) } }), { forward: 1, backward: 4 });
    });

    it('Query.users (createdAt asc) and Query.feedback (createdAt desc) keep their place', async () => {
      // After every other user (oldest first): the last rows of the list are these.
      for (const createdAt of times('2099-01-01T00:00:00Z')) await api.prisma.user.create({ data: { userType: 'TEENAGER', createdAt } });
      const users = async (args: Record<string, unknown>) => read((await api.gql(`query(${VARS}) { users(${ARGS}) { ${CONN} } }`, args, { apiKey: operatorKey })).data.users);
      const n = (await users({ first: 100 })).ids.length;
      await keepsPlace(users, (id) => api.prisma.user.delete({ where: { id: rawId(id) } }), { forward: n - 6, backward: n - 2 });

      // Before every other feedback (newest first).
      for (const createdAt of times('2099-01-01T00:00:00Z')) {
        await api.prisma.feedback.create({ data: { sessionId: randomUUID(), rating: 4, isPositive: true, createdAt } });
      }
      const feedback = async (args: Record<string, unknown>) => read((await api.gql(`query(${VARS}) { feedback(${ARGS}) { ${CONN} } }`, args, { apiKey: operatorKey })).data.feedback);
      // Feedback is a Node: its ids are global, like the others.
      await keepsPlace(feedback, (id) => api.prisma.feedback.delete({ where: { id: rawId(id) } }), { forward: 1, backward: 5 });
    });

    it('Conversation.messages and ChatSession.messages (createdAt asc) keep their place', async () => {
      const teen = await createUser(api.prisma);
      const { token } = await createSession(api.prisma, teen.id);
      const conv = await api.prisma.conversation.create({ data: { userId: teen.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } }, include: { chatSessions: true } });
      const session = conv.chatSessions[0];
      for (const [i, createdAt] of times('2026-10-03T08:00:00Z').entries()) {
        await api.prisma.message.create({ data: { conversationId: conv.id, chatSessionId: session.id, userId: teen.id, role: 'USER', text: `m${i}`, createdAt } });
      }
      const byConversation = async (args: Record<string, unknown>) =>
        read((await api.gql(`query($id: ID!, ${VARS}) { conversation(id: $id) { messages(${ARGS}) { ${CONN} } } }`, { id: gid('Conversation', conv.id), ...args }, { token })).data.conversation.messages);
      await keepsPlace(byConversation, (id) => api.prisma.message.delete({ where: { id: rawId(id) } }), { forward: 1, backward: 4 });
      const bySession = async (args: Record<string, unknown>) =>
        read((await api.gql(`query($id: ID!, ${VARS}) { node(id: $id) { ... on ChatSession { messages(${ARGS}) { ${CONN} } } } }`, { id: gid('ChatSession', session.id), ...args }, { token })).data.node.messages);
      const left = (await bySession({ first: 100 })).ids.length;
      expect(left).toBe(5);
      await keepsPlace(bySession, (id) => api.prisma.message.delete({ where: { id: rawId(id) } }), { forward: 0, backward: 3 });
    });

    it('empty pages have null cursors, and echoing "" back is harmless', async () => {
      const teen = await createUser(api.prisma);
      const { token } = await createSession(api.prisma, teen.id);
      const conv = await api.prisma.conversation.create({ data: { userId: teen.id, conversationType: 'GENERAL' } });
      const Q = `query($id: ID!, ${VARS}) {
        me { conversations(type: INCIDENT, ${ARGS}) { totalCount ${CONN} } }
        conversation(id: $id) { id messages(${ARGS}) { ${CONN} } chatSessions(${ARGS}) { ${CONN} } } }`;
      const empty = { edges: [], pageInfo: { startCursor: null, endCursor: null, hasNextPage: false, hasPreviousPage: false } };
      for (const args of [{}, { first: 5 }, { last: 5 }, { after: '' }, { before: '' }, { last: 20, before: '' }, { first: 0, after: '' }]) {
        const r = await api.gql(Q, { id: gid('Conversation', conv.id), ...args }, { token });
        expect(r.errors, JSON.stringify(args)).toBeUndefined();
        expect(r.data.me.conversations).toEqual({ totalCount: 0, ...empty });
        expect(r.data.conversation.messages).toEqual(empty);
        expect(r.data.conversation.chatSessions).toEqual(empty);
      }
      // "" on a full connection is no cursor either: the first page.
      const full = await api.gql(MY_CONVERSATIONS, { first: 2 }, { token: lea });
      expect((await api.gql(MY_CONVERSATIONS, { first: 2, after: '' }, { token: lea })).data).toEqual(full.data);
    });

    it('a cursor that is not one of ours, or decodes but does not fit, is BAD_USER_INPUT on that connection', async () => {
      const bad = [
        b64('GPC:S:not-a-uuid'),
        b64('GPC:N:1'),
        b64('GPC:J:{"a":1}'),
        b64(`GPC:S:${demoIds.leaMoreau}`), // a well-formed cursor of the previous format
        b64(`MessageCursor:1:${ZERO}`),
        b64('K1:["x"]'),
        b64('K1:[1,2]'),
        b64('K1:{"a":1}'),
        b64('K1:["2026-10-01T08:00:00.000Z"]'),
        b64(`K1:["2026-10-01T08:00:00.000Z","${ZERO}",3]`),
        b64('K1:["2026-10-01T08:00:00.000Z","not-a-uuid"]'),
        b64(`K1:["2026-13-45T99:00:00.000Z","${ZERO}"]`),
        b64(`K1:["2026-10-01","${ZERO}"]`),
        b64(`K1:["2026-10-01T08:00:00.000Z","${ZERO}\u0000"]`),
        b64('K1:[not json'),
        'garbage!',
        'bm9wZQ==',
        'A'.repeat(5000),
      ];
      const teen = await createUser(api.prisma);
      const { token } = await createSession(api.prisma, teen.id);
      const conv = await api.prisma.conversation.create({ data: { userId: teen.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } } });
      for (const cursor of bad) {
        for (const args of [{ first: 2, after: cursor }, { last: 2, before: cursor }]) {
          const mine = await api.gql(MY_CONVERSATIONS, args, { token: lea });
          expect(codesOf(mine), cursor).toEqual(['BAD_USER_INPUT']);
          expect(mine.errors![0].path).toEqual(['me', 'conversations']);
          const messages = await api.gql(`query($id: ID!, ${VARS}) { health { status } conversation(id: $id) { messages(${ARGS}) { ${CONN} } } }`, { id: gid('Conversation', conv.id), ...args }, { token });
          expect(codesOf(messages), cursor).toEqual(['BAD_USER_INPUT']);
          expect(messages.errors![0].path).toEqual(['conversation', 'messages']);
          expect(messages.data).toEqual({ health: { status: 'ok' }, conversation: null });
          const users = await api.gql(`query(${VARS}) { users(${ARGS}) { ${CONN} } }`, args, { apiKey: operatorKey });
          expect(codesOf(users), cursor).toEqual(['BAD_USER_INPUT']);
        }
      }
    });

    it('a cursor that is not the exact text we issue, or holds a time no database stores, is BAD_USER_INPUT on every connection', async () => {
      const cursor = (json: string) => Buffer.from(`K1:${json}`).toString('base64url');
      const issued = (await api.gql(MY_CONVERSATIONS, { first: 1 }, { token: lea })).data.me.conversations.edges[0].cursor as string;
      const [time, id] = JSON.parse(Buffer.from(issued, 'base64url').toString().slice(3)) as [string, string];
      const bad = {
        // PostgreSQL has no year 0: this reached the database as INTERNAL_SERVER_ERROR and nulled `me`.
        year0: cursor(`["0000-01-01T00:00:00.000Z","${id}"]`),
        feb30: cursor(`["2026-02-30T00:00:00.000Z","${id}"]`), // JS rolls it over to March 2
        hour24: cursor(`["2026-02-03T24:00:00.000Z","${id}"]`),
        upperId: cursor(`["${time}","${id.toUpperCase()}"]`),
        spaced: cursor(` ["${time}", "${id}"]`),
        padded: `${issued}==`,
        standardBase64: Buffer.from(Buffer.from(issued, 'base64url')).toString('base64'),
      };
      expect(bad.standardBase64 === issued || /[+/=]/.test(bad.standardBase64)).toBe(true);
      const M = `query($id: ID!, ${VARS}) { health { status } conversation(id: $id) { messages(${ARGS}) { edges { cursor } } } }`;
      const conv = await api.prisma.conversation.findFirstOrThrow({ where: { userId: demoIds.leaMoreau } });
      for (const [name, c] of Object.entries(bad)) {
        if (c === issued) continue;
        for (const args of [{ first: 2, after: c }, { last: 2, before: c }]) {
          const mine = await api.gql(`query(${VARS}) { health { status } me { conversations(${ARGS}) { edges { cursor } } } }`, args, { token: lea });
          expect(codesOf(mine), name).toEqual(['BAD_USER_INPUT']);
          expect(mine.errors![0].path).toEqual(['me', 'conversations']);
          expect(mine.data.health).toEqual({ status: 'ok' });
          const messages = await api.gql(M, { id: gid('Conversation', conv.id), ...args }, { token: lea });
          expect(codesOf(messages), name).toEqual(['BAD_USER_INPUT']);
          for (const root of ['users', 'feedback']) {
            const r = await api.gql(`query(${VARS}) { health { status } ${root}(${ARGS}) { edges { cursor } } }`, args, { apiKey: operatorKey });
            expect(codesOf(r), `${root} ${name}`).toEqual(['BAD_USER_INPUT']);
            expect(r.errors![0].path).toEqual([root]);
          }
        }
      }
      // The issued cursor itself, and the earliest and latest times a cursor may hold, still page.
      for (const c of [issued, cursor(`["0001-01-01T00:00:00.000Z","${id}"]`), cursor(`["9999-12-31T23:59:59.999Z","${id}"]`)]) {
        expect((await api.gql(MY_CONVERSATIONS, { first: 2, after: c }, { token: lea })).errors).toBeUndefined();
        expect((await api.gql(MY_CONVERSATIONS, { last: 2, before: c }, { token: lea })).errors).toBeUndefined();
      }
    });

    it('first or last out of range fails only that connection, at its path, before it reads a row', async () => {
      const Q = `query(${VARS}) { health { status } me { conversations(${ARGS}) { edges { cursor } } } }`;
      const baseline = await api.gql(`{ health { status } }`, {}, { apiKey: operatorKey });
      for (const args of [{ first: -1 }, { last: -1 }, { first: 101 }, { last: 1000 }, { first: 2 ** 31 - 1 }, { last: -(2 ** 31) }]) {
        const name = Object.keys(args)[0];
        const mine = await api.gql(Q, args, { token: lea });
        expect(mine.errors!.map((e) => [e.path, e.extensions]), JSON.stringify(args)).toEqual([
          [['me', 'conversations'], { argument: name, max: 100, code: 'BAD_USER_INPUT' }],
        ]);
        expect(mine.data.health).toEqual({ status: 'ok' });
        const rooted = await api.gql(`query(${VARS}) { health { status } users(${ARGS}) { edges { cursor } } }`, args, { apiKey: operatorKey });
        expect(rooted.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([[['users'], 'BAD_USER_INPUT']]);
        expect(rooted.data).toEqual({ health: { status: 'ok' }, users: null });
        expect(rooted.sql).toBe(baseline.sql);
      }
    });

    it('a keyset page stays inside the parent\'s statement: after/before cost what the first page costs', async () => {
      const Q = `query(${VARS}) { me { conversations(${ARGS}) { totalCount edges { cursor node { title chatSessions(first: 2) { totalCount } } } } collectives { members(first: 2) { edges { node { role } } } } } }`;
      const first = await api.gql(Q, { first: 1 }, { token: lea });
      const cursor = first.data.me.conversations.edges[0].cursor;
      const after = await api.gql(Q, { first: 2, after: cursor }, { token: lea });
      const before = await api.gql(Q, { last: 2, before: cursor }, { token: lea });
      expect(after.errors).toBeUndefined();
      expect(after.data.me.conversations.edges).toHaveLength(2);
      expect(before.data.me.conversations.edges).toHaveLength(0);
      // The session, then the whole me tree in one relationJoins statement.
      expect(first.sql).toBe(2);
      expect(after.sql).toBe(first.sql);
      expect(before.sql).toBe(first.sql);
    });

    it('first and last together are BAD_USER_INPUT on that connection; a cursor of another connection is only a position', async () => {
      const both = await api.gql(MY_CONVERSATIONS, { first: 2, last: 2 }, { token: lea });
      expect(codesOf(both)).toEqual(['BAD_USER_INPUT']);
      expect(both.errors![0].path).toEqual(['me', 'conversations']);
      // A users cursor (createdAt, id) read by conversations (updatedAt, id): a harmless position.
      const users = await api.gql(`{ users(first: 1) { edges { cursor } } }`, {}, { apiKey: operatorKey });
      const r = await api.gql(MY_CONVERSATIONS, { first: 5, after: users.data.users.edges[0].cursor }, { token: lea });
      expect(r.errors).toBeUndefined();
    });

    it('cursors are K1 keyset cursors: the sort key values of their row', async () => {
      const r = await api.gql(`{ me { conversations(first: 1) { edges { cursor node { id updatedAt } } } } }`, {}, { token: lea });
      const { cursor, node } = r.data.me.conversations.edges[0];
      expect(Buffer.from(cursor, 'base64url').toString()).toBe(`K1:${JSON.stringify([node.updatedAt, rawId(node.id)])}`);
    });
  });
});

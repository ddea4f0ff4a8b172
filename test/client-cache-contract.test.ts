// What a frontend relies on: the runnable SDK example signs in and reads `me` against a real
// listening server, and the urql example's cache keys cover every id-less object of the schema.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, isObjectType, isScalarType, specifiedScalarTypes } from 'graphql';
import { codegenConfig } from '../codegen.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp, useTestApp } from './helpers/app.ts';
import { createCollective, createSession, createUser, gid } from './factories/index.ts';
import { signInAndReadMe } from '../examples/sdk-sign-in.ts';
import { keys } from '../examples/urql-client.ts';

describe(`client examples (${dbKind})`, () => {
  const api = useTestApp();
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer(api.app.yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('examples/sdk-sign-in.ts signs in and reads me through the generated documents', async () => {
    await createUser(api.prisma); // any world will do: a new mock-IdP login registers
    const me = await signInAndReadMe(url, 'example-new-user');
    expect(me.id).toBeTruthy();
    expect(me.sessions.find((s) => s.current)?.scope).toBe('ONBOARDING');
  });

  it('revokeParentalConsent returns the teenager for the cache, or null once they are out of sight', async () => {
    const REVOKE = `mutation($t: ID!) { revokeParentalConsent(input: { teenagerId: $t }) { revoked teenagerId teenager { id userType } } }`;
    const { gql } = createTestApp(api.db);
    // A parent who shares a collective with the teenager still sees them after revoking.
    const parent = await createUser(api.prisma, { userType: 'PARENT' });
    const teen = await createUser(api.prisma);
    await createCollective(api.prisma, [{ userId: parent.id, role: 'OWNER' }, { userId: teen.id, role: 'MEMBER' }]);
    await api.prisma.parentalConsent.create({ data: { parentId: parent.id, teenagerId: teen.id } });
    const shared = await gql(REVOKE, { t: gid('User', teen.id) }, { token: (await createSession(api.prisma, parent.id)).token });
    expect(shared.errors).toBeUndefined();
    expect(shared.data.revokeParentalConsent).toEqual({ revoked: true, teenagerId: gid('User', teen.id), teenager: { id: gid('User', teen.id), userType: 'TEENAGER' } });
    // One who only saw them through the consent gets null, not an error.
    const other = await createUser(api.prisma, { userType: 'PARENT' });
    await api.prisma.parentalConsent.create({ data: { parentId: other.id, teenagerId: teen.id } });
    const alone = await gql(REVOKE, { t: gid('User', teen.id) }, { token: (await createSession(api.prisma, other.id)).token });
    expect(alone.errors).toBeUndefined();
    expect(alone.data.revokeParentalConsent).toMatchObject({ revoked: true, teenager: null });
  });

  it('starting and deleting a conversation return the owner, whose conversations totalCount is already current', async () => {
    const { gql } = createTestApp(api.db);
    const teen = await createUser(api.prisma);
    const { token } = await createSession(api.prisma, teen.id);
    const OWNER = 'owner { id conversations(first: 5) { totalCount edges { node { id } } } }';
    const started = await gql(`mutation { startConversation(input: { conversationType: GENERAL }) { conversation { id } ${OWNER} } }`, {}, { token });
    expect(started.errors).toBeUndefined();
    const { conversation, owner } = started.data.startConversation;
    expect(owner.id).toBe(gid('User', teen.id));
    expect(owner.conversations.totalCount).toBe(1);
    expect(owner.conversations.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([conversation.id]);

    const deleted = await gql(`mutation($id: ID!) { deleteConversation(input: { conversationId: $id }) { deletedConversationId ${OWNER} } }`, { id: conversation.id }, { token });
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data.deleteConversation).toEqual({ deletedConversationId: conversation.id, owner: { id: owner.id, conversations: { totalCount: 0, edges: [] } } });
  });

  it('Feedback is a Node: a global id that node(id:) refetches for the teenager who rated, NOT_FOUND for others as for a missing id', async () => {
    const { gql } = createTestApp(api.db);
    const teen = await createUser(api.prisma);
    const { token } = await createSession(api.prisma, teen.id);
    const started = await gql(`mutation { startConversation(input: { conversationType: GENERAL }) { chatSession { id } } }`, {}, { token });
    const rated = await gql(
      `mutation($s: ID!) { submitFeedback(input: { chatSessionId: $s, rating: 5, isPositive: true }) { feedback { id rating } } }`,
      { s: started.data.startConversation.chatSession.id },
      { token },
    );
    expect(rated.errors).toBeUndefined();
    const id = rated.data.submitFeedback.feedback.id;
    const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on Feedback { rating } } }`;
    expect((await gql(NODE, { id }, { token })).data.node).toEqual({ __typename: 'Feedback', id, rating: 5 });
    const stranger = (await createSession(api.prisma, (await createUser(api.prisma)).id)).token;
    const hidden = await gql(NODE, { id }, { token: stranger });
    const missing = await gql(NODE, { id: gid('Feedback', crypto.randomUUID()) }, { token: stranger });
    expect(hidden.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(missing.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(hidden.errors?.[0].message).toBe(missing.errors?.[0].message);
    expect(hidden.sql).toBe(missing.sql);
  });

  it('the SDK codegen maps every custom scalar of the schema (strictScalars)', () => {
    const schema = buildSchema(readFileSync(path.resolve(import.meta.dirname, '../schema.graphql'), 'utf8'));
    const custom = Object.values(schema.getTypeMap()).filter((t) => isScalarType(t) && !specifiedScalarTypes.some((s) => s.name === t.name)).map((t) => t.name);
    const config = (codegenConfig.generates['src/client/generated/'] as { config: { scalars: Record<string, string>; strictScalars: boolean } }).config;
    expect(config.strictScalars).toBe(true);
    expect(custom.filter((name) => !(name in config.scalars))).toEqual([]);
  });

  it("examples/urql-client.ts gives graphcache a key for every object without an id", () => {
    const schema = buildSchema(readFileSync(path.resolve(import.meta.dirname, '../schema.graphql'), 'utf8'));
    const idless = Object.values(schema.getTypeMap())
      .filter((t) => isObjectType(t) && !t.getFields().id && !['Query', 'Mutation', 'Subscription'].includes(t.name))
      // graphcache itself embeds these without a key or a warning.
      .filter((t) => !/^__|PageInfo|(Connection|Edge)$/.test(t.name))
      .map((t) => t.name);
    expect(idless.filter((name) => !(name in keys))).toEqual([]);
  });
});

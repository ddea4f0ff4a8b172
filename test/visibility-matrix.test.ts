// Checks every cell of test/policy/visibility-matrix.ts through GraphQL, in one world holding
// every relation, by three paths: node(id:), a typed query, and a nested path through the
// shared collective (collective -> members -> user -> ...).
import { beforeAll, describe, expect, it } from 'vitest';
import { isObjectType, type GraphQLInterfaceType } from 'graphql';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { INGEST } from './helpers/search.ts';
import { createApiKey, createCollective, createSession, createUser, gid, rawId } from './factories/index.ts';
import { schema } from '../src/schema/index.ts';
import { hashToken, generateToken } from '../src/auth/tokens.ts';
import { PERMISSIONS, type Permission } from '../src/auth/permissions.ts';
import { MATRIX, RELATIONS, type Answer, type Relation, type Row } from './policy/visibility-matrix.ts';

type PathName = 'node' | 'typed' | 'nested';

/** What each row selects on its object: the field for a field row, else only the id. */
const FIELD_SELECTION: Record<string, string> = {
  hasConsented: 'hasConsented',
  conversations: 'conversations(first: 2) { totalCount }',
  sessions: 'sessions { id }',
  title: 'title',
  parentContact: 'parentContact',
};
const typeOf = (row: Row) => row.name.split('.')[0];
const fieldOf = (row: Row) => row.name.split('.')[1] as string | undefined;
const selection = (row: Row) => (fieldOf(row) ? `id ${FIELD_SELECTION[fieldOf(row)!]}` : 'id');

const MEMBERS_USER = (inner: string) => `collective(id: $f) { members(first: 10) { edges { node { user { ${inner} } } } } }`;
const CONVERSATIONS = (inner: string) => `conversations(first: 2) { edges { node { ${inner} } } }`;

/**
 * The typed and nested paths of each node type, with the permissions an operator needs to walk
 * them up to the object (the row's own grants come on top). `S` is the row's selection.
 */
const PATHS: Record<string, { typed: (s: string) => string; nested: (s: string) => string; entrance: Record<PathName, Permission[]> }> = {
  User: {
    typed: (s) => `user(id: $id) { ${s} }`,
    nested: (s) => MEMBERS_USER(s),
    // A field row on User (conversations) is granted by another permission than the user itself.
    entrance: { node: ['users:read'], typed: ['users:read'], nested: ['collectives:read', 'users:read'] },
  },
  AppSession: {
    typed: (s) => `user(id: $t) { id sessions { ${s} } }`,
    nested: (s) => MEMBERS_USER(`id sessions { ${s} }`),
    entrance: { node: [], typed: ['users:read'], nested: ['collectives:read', 'users:read'] },
  },
  Conversation: {
    typed: (s) => `conversation(id: $id) { ${s} }`,
    nested: (s) => MEMBERS_USER(`id ${CONVERSATIONS(s)}`),
    entrance: { node: [], typed: [], nested: ['collectives:read', 'users:read'] },
  },
  ChatSession: {
    typed: (s) => `conversation(id: $c) { id chatSessions(first: 2) { edges { node { ${s} } } } }`,
    nested: (s) => MEMBERS_USER(`id ${CONVERSATIONS(`id chatSessions(first: 2) { edges { node { ${s} } } }`)}`),
    entrance: { node: [], typed: [], nested: ['collectives:read', 'users:read'] },
  },
  Message: {
    typed: (s) => `conversation(id: $c) { id messages(first: 2) { edges { node { ${s} text } } } }`,
    nested: (s) => MEMBERS_USER(`id ${CONVERSATIONS(`id chatSessions(first: 2) { edges { node { id messages(first: 2) { edges { node { ${s} text } } } } } }`)}`),
    entrance: { node: [], typed: ['conversations:read'], nested: ['collectives:read', 'users:read', 'conversations:read'] },
  },
  Collective: {
    typed: (s) => `collective(id: $id) { ${s} }`,
    nested: (s) => `collective(id: $f) { id members(first: 10) { edges { node { collective { ${s} } } } } }`,
    entrance: { node: [], typed: [], nested: [] },
  },
  CollectiveMembership: {
    typed: (s) => `user(id: $t) { id memberships { ${s} } }`,
    nested: (s) => `collective(id: $f) { id members(first: 10) { edges { node { ${s} } } } }`,
    entrance: { node: [], typed: ['users:read'], nested: [] },
  },
  Invitation: {
    typed: (s) => `collective(id: $f) { id invitations(first: 5) { edges { node { ${s} } } } }`,
    nested: (s) => `collective(id: $f) { id members(first: 10) { edges { node { collective { id invitations(first: 5) { edges { node { ${s} } } } } } } } }`,
    entrance: { node: [], typed: [], nested: [] },
  },
  ParentalAuthorizationRequest: {
    typed: (s) => `user(id: $t) { id authorizationRequests { ${s} } }`,
    nested: (s) => MEMBERS_USER(`id authorizationRequests { ${s} }`),
    entrance: { node: [], typed: [], nested: ['collectives:read'] },
  },
  Feedback: {
    typed: (s) => `feedback(first: 50) { edges { node { ${s} } } }`,
    nested: (s) => `nodes(ids: [$id]) { ... on Feedback { ${s} } }`,
    entrance: { node: [], typed: [], nested: [] },
  },
  Document: {
    typed: (s) => `nodes(ids: [$id]) { ... on Document { ${s} } }`,
    nested: (s) => `searchDocuments(query: "moqueries physique récréation", collection: YOUTH) { document { ${s} } }`,
    entrance: { node: [], typed: [], nested: [] },
  },
};

/** A query string with the variables it uses declared. */
function document(body: string) {
  const used = [...new Set(body.match(/\$[a-z]+/g) ?? [])];
  return `query${used.length ? `(${used.map((v) => `${v}: ID!`).join(', ')})` : ''} { ${body} }`;
}

/** Every object with this id anywhere in a response's data. */
function findById(data: unknown, id: string, found: Record<string, unknown>[] = []) {
  if (Array.isArray(data)) for (const item of data) findById(item, id, found);
  else if (data && typeof data === 'object') {
    if ((data as { id?: unknown }).id === id) found.push(data as Record<string, unknown>);
    for (const value of Object.values(data)) findById(value, id, found);
  }
  return found;
}

const ALL_PERMISSIONS = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => p !== '*');

describe(`visibility matrix: every node type and sensitive field, every relation, three paths (${dbKind})`, () => {
  // The deepest nested paths (collective -> members -> user -> conversations -> chat sessions -> messages)
  // go past the production depth limit, which has its own tests; here only visibility is checked.
  const api = useTestApp({ env: { RAG_CACHE_ENABLED: 'false', MAX_QUERY_DEPTH: '20' } });
  const tokens = {} as Record<Exclude<Relation, 'operatorWith' | 'operatorWithout' | 'anonymous'>, string>;
  const ids = {} as Record<string, string>;
  const keys = new Map<string, string>();
  /** F's members' global User ids, by their relation to T. */
  const familyUsers = {} as Record<'self' | 'owner' | 'admin' | 'member', string>;

  async function keyFor(permissions: readonly Permission[]) {
    const name = [...new Set(permissions)].sort().join(',');
    if (!keys.has(name)) keys.set(name, (await createApiKey(api.prisma, [...new Set(permissions)])).key);
    return keys.get(name)!;
  }

  beforeAll(async () => {
    const p = api.prisma;
    const full = async (userType: 'TEENAGER' | 'PARENT') => {
      const user = await createUser(p, { userType });
      await p.userConsent.create({ data: { userId: user.id } });
      return user;
    };
    const [t, parent, owner, admin, member, classmate, stranger, teacher] = await Promise.all([
      full('TEENAGER'), full('PARENT'), full('PARENT'), full('PARENT'), full('TEENAGER'), full('TEENAGER'), full('TEENAGER'), full('PARENT'),
    ]);
    const family = await createCollective(p, [
      { userId: t.id, role: 'MEMBER' },
      { userId: owner.id, role: 'OWNER' },
      { userId: admin.id, role: 'ADMIN' },
      { userId: member.id, role: 'MEMBER' },
    ], { type: 'FAMILY' });
    await createCollective(p, [{ userId: teacher.id, role: 'OWNER' }, { userId: t.id, role: 'MEMBER' }, { userId: classmate.id, role: 'MEMBER' }], { type: 'CLASS' });
    await p.parentalConsent.create({ data: { parentId: parent.id, teenagerId: t.id } });
    const request = await p.parentalAuthorizationRequest.create({ data: { teenagerId: t.id, parentId: parent.id, parentContact: 'contact-secret@example.org' } });
    const invitation = await p.invitation.create({
      data: { collectiveId: family.id, inviterId: owner.id, tokenHash: hashToken(generateToken()), language: 'fr', expiresAt: new Date(Date.now() + 86_400_000) },
    });
    const conversation = await p.conversation.create({
      data: { userId: t.id, title: 'Title secret: harcèlement', conversationType: 'INCIDENT', chatSessions: { create: [{}] } },
      include: { chatSessions: true },
    });
    const membership = await p.collectiveMembership.findFirstOrThrow({ where: { collectiveId: family.id, userId: t.id } });

    // Sessions last: a session reads its roles and consents when a request starts.
    const self = await createSession(p, t.id);
    tokens.self = self.token;
    for (const [relation, user] of [['consentedParent', parent], ['owner', owner], ['admin', admin], ['member', member], ['classmate', classmate], ['stranger', stranger]] as const) {
      tokens[relation] = (await createSession(p, user.id)).token;
    }

    const sent = await api.gql(`mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`, { input: { chatSessionId: gid('ChatSession', conversation.chatSessions[0].id), text: 'Message secret text' } }, { token: self.token });
    expect(sent.errors).toBeUndefined();
    const ingested = await api.gql(INGEST, {
      input: { collection: 'YOUTH', source: 'youth/moqueries.md', title: 'Moqueries', language: 'fr', content: '# Moqueries\n\nMoqueries sur le physique à la récréation : parles-en à un adulte de confiance.' },
    }, { apiKey: await keyFor(['documents:write']) });
    expect(ingested.errors).toBeUndefined();
    const doc = await p.document.findFirstOrThrow({ where: { source: 'youth/moqueries.md' } });
    const rated = await api.gql(`mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { feedback { id } } }`, {
      input: { chatSessionId: gid('ChatSession', conversation.chatSessions[0].id), rating: 2, comment: 'Feedback secret comment', isPositive: false },
    }, { token: self.token });
    expect(rated.errors).toBeUndefined();

    Object.assign(familyUsers, { self: gid('User', t.id), owner: gid('User', owner.id), admin: gid('User', admin.id), member: gid('User', member.id) });
    Object.assign(ids, {
      User: gid('User', t.id),
      AppSession: gid('AppSession', self.session.id),
      Conversation: gid('Conversation', conversation.id),
      ChatSession: gid('ChatSession', conversation.chatSessions[0].id),
      Message: sent.data.sendMessage.message.id,
      Collective: gid('Collective', family.id),
      CollectiveMembership: gid('CollectiveMembership', membership.id),
      Invitation: gid('Invitation', invitation.id),
      ParentalAuthorizationRequest: gid('ParentalAuthorizationRequest', request.id),
      Document: gid('Document', doc.id),
      Feedback: rated.data.submitFeedback.feedback.id,
    });
  });

  async function ask(row: Row, relation: Relation, path: PathName): Promise<{ answer: Answer; codes: unknown[] }> {
    const type = typeOf(row);
    const s = selection(row);
    const body = path === 'node' ? `node(id: $id) { ... on ${type} { ${s} } }` : PATHS[type][path](s);
    const variables: Record<string, string> = { id: ids[type], t: ids.User, c: ids.Conversation, f: ids.Collective };
    const query = document(body);
    const used = new Set((query.match(/\$[a-z]+/g) ?? []).map((v) => v.slice(1)));
    const options: { token?: string; apiKey?: string } = {};
    const entrance = PATHS[type].entrance[path];
    if (relation === 'operatorWith') options.apiKey = await keyFor(row.grants.length ? [...row.grants, ...entrance] : ['*']);
    else if (relation === 'operatorWithout') options.apiKey = await keyFor(ALL_PERMISSIONS.filter((p) => !row.grants.includes(p)));
    else if (relation !== 'anonymous') options.token = tokens[relation];
    const r = await api.gql(query, Object.fromEntries(Object.entries(variables).filter(([k]) => used.has(k))), options);
    const field = fieldOf(row);
    const seen = findById(r.data, ids[type]).some((o) => !field || (o[field] !== null && o[field] !== undefined));
    return { answer: seen ? 'visible' : 'hidden', codes: (r.errors ?? []).map((e) => e.extensions?.code) };
  }

  it('has one row per Node type of the schema (a new type without its row fails here)', () => {
    const node = schema.getType('Node') as GraphQLInterfaceType;
    const implementers = schema.getPossibleTypes(node).map((t) => t.name).sort();
    const rows = MATRIX.filter((r) => !fieldOf(r)).map((r) => r.name).sort();
    expect(rows).toEqual(implementers);
    expect(Object.keys(PATHS).sort()).toEqual(implementers);
    // Field rows name real fields.
    for (const row of MATRIX.filter((r) => fieldOf(r))) {
      const type = schema.getType(typeOf(row));
      expect(isObjectType(type) && fieldOf(row)! in type.getFields(), row.name).toBe(true);
    }
  });

  // One test per row and path: a weakened rule fails the first of them it touches (mutation
  // testing stops at the first failure), and the failure names the cells that changed.
  for (const path of ['node', 'typed', 'nested'] as const) {
    for (const row of MATRIX) {
      it(`${row.name} by ${path === 'node' ? 'node(id:)' : `the ${path} path`}`, async () => {
        const wrong: string[] = [];
        for (const relation of RELATIONS) {
          const narrower = path !== 'node' && row.narrower?.[path]?.includes(relation);
          const expected: Answer = narrower ? 'hidden' : row.cells[relation];
          const { answer, codes } = await ask(row, relation, path);
          if (answer !== expected) wrong.push(`${relation}: ${answer}, expected ${expected} (errors ${JSON.stringify(codes)})`);
          // A refusal is always one of the stable codes: never an internal error.
          const bad = codes.filter((c) => !['NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED'].includes(c as string));
          if (bad.length) wrong.push(`${relation}: unexpected error codes ${JSON.stringify(bad)}`);
          // node(id:) never answers a hidden object with silence: NOT_FOUND, FORBIDDEN on the field, or sign in.
          if (path === 'node' && expected === 'hidden' && codes.length === 0) wrong.push(`${relation}: hidden without an error`);
          // A hidden object answers exactly like a missing one (NOT_FOUND), never FORBIDDEN, which
          // would tell that it exists; anonymous callers are asked to sign in first.
          const alike = relation === 'anonymous' ? 'UNAUTHENTICATED' : 'NOT_FOUND';
          if (path === 'node' && expected === 'hidden' && !fieldOf(row) && JSON.stringify(codes) !== JSON.stringify([alike])) {
            wrong.push(`${relation}: hidden with ${JSON.stringify(codes)}, expected [${alike}]`);
          }
        }
        expect(wrong).toEqual([]);
      });
    }
  }

  it('for a stranger, node(id:) of a hidden object and of a missing one answer alike, with as many SQL statements', async () => {
    const NODE = 'query($id: ID!) { node(id: $id) { id } }';
    const differences: string[] = [];
    for (const row of MATRIX.filter((r) => !fieldOf(r) && r.cells.stranger === 'hidden')) {
      const type = typeOf(row);
      const hidden = await api.gql(NODE, { id: ids[type] }, { token: tokens.stranger });
      const missing = await api.gql(NODE, { id: gid(type, '00000000-0000-4000-8000-00000000abcd') }, { token: tokens.stranger });
      if (JSON.stringify(hidden.errors) !== JSON.stringify(missing.errors) || hidden.sql !== missing.sql) {
        differences.push(`${type}: hidden ${JSON.stringify(hidden.errors)} in ${hidden.sql} statements, missing ${JSON.stringify(missing.errors)} in ${missing.sql}`);
      }
    }
    expect(differences).toEqual([]);
  });

  it("an invitation made by F's ADMIN: the OWNER sees it too (as OWNER, not as its inviter); a plain member and a stranger get NOT_FOUND", async () => {
    const family = rawId(ids.Collective);
    const adminId = rawId(familyUsers.admin);
    const inv = await api.prisma.invitation.create({
      data: { collectiveId: family, inviterId: adminId, tokenHash: hashToken(generateToken()), language: 'fr', expiresAt: new Date(Date.now() + 86_400_000) },
    });
    const NODE = 'query($id: ID!) { node(id: $id) { ... on Invitation { id } } }';
    const id = gid('Invitation', inv.id);
    for (const relation of ['owner', 'admin'] as const) {
      const r = await api.gql(NODE, { id }, { token: tokens[relation] });
      expect(r.errors, relation).toBeUndefined();
      expect(r.data.node, relation).toEqual({ id });
    }
    for (const relation of ['member', 'self', 'stranger'] as const) expect(codesOf(await api.gql(NODE, { id }, { token: tokens[relation] })), relation).toEqual(['NOT_FOUND']);
  });

  it("F's member list: every row for every member, each profile only where the User rules show it (null, no error, elsewhere)", async () => {
    const LIST = 'query($f: ID!) { collective(id: $f) { members(first: 10) { edges { node { role user { id } } } } } }';
    const profilesSeen = async (options: { token?: string; apiKey?: string }) => {
      const r = await api.gql(LIST, { f: ids.Collective }, options);
      expect(r.errors).toBeUndefined();
      const rows: { role: string; user: { id: string } | null }[] = r.data.collective.members.edges.map((e: { node: unknown }) => e.node);
      expect(rows.map((m) => m.role).sort()).toEqual(['ADMIN', 'MEMBER', 'MEMBER', 'OWNER']);
      return rows.flatMap((m) => (m.user ? [m.user.id] : [])).sort();
    };
    const everyone = Object.values(familyUsers).sort();
    // A plain member (T, and M) sees their own profile only; OWNER and ADMIN see everyone's.
    expect(await profilesSeen({ token: tokens.self })).toEqual([familyUsers.self]);
    expect(await profilesSeen({ token: tokens.member })).toEqual([familyUsers.member]);
    expect(await profilesSeen({ token: tokens.owner })).toEqual(everyone);
    expect(await profilesSeen({ token: tokens.admin })).toEqual(everyone);
    // An operator reads the list with collectives:read, the profiles only with users:read too.
    expect(await profilesSeen({ apiKey: await keyFor(['collectives:read']) })).toEqual([]);
    expect(await profilesSeen({ apiKey: await keyFor(['collectives:read', 'users:read']) })).toEqual(everyone);
  });

  it('a `narrower` exception never hides what node(id:) would also hide: each one names a relation that sees the object', () => {
    for (const row of MATRIX) for (const relations of Object.values(row.narrower ?? {})) for (const r of relations) expect(row.cells[r], `${row.name} ${r}`).toBe('visible');
  });
});

// The caller's facts (src/auth/caller.ts) and the scopes over them (src/auth/scopes.ts), each
// rule driven to both answers with exact outcomes: codes, data, and the SQL statements a request
// sends (the shortcuts that spare a query are part of the contract: a hidden object must cost
// what a missing one does, and a list must not cost a query per row). Small worlds, one per
// test, so a mutation-testing run (STRYKER_TESTS=caller) re-runs in seconds.
import { afterAll, describe, expect, it } from 'vitest';
import { codesOf, useTestApp } from './helpers/app.ts';
import { openSse } from './helpers/sse.ts';
import { fastCount } from './helpers/read-path.ts';
import { createApiKey, createCollective, createSession, gid } from './factories/index.ts';
import { dbKind } from './helpers/env.ts';
import { createContext } from '../src/context.ts';
import { anonymous, resolveViewer, type Viewer } from '../src/auth/viewer.ts';
import { changed, currentSession, operatorKey, rolesOf, signedIn } from '../src/auth/caller.ts';
import { countSql } from '../src/db/instrument.ts';
import { isServableId, isVisible, probeMissing, sqlAnd, sqlOr, visibleSql } from '../src/visibility.ts';
import type { MembershipRole } from '../src/generated/prisma/client.ts';

const api = useTestApp();
// Runs before useTestApp's teardown (after-hooks run last-registered first).
afterAll(() => api.app.events.close());

type Person = Awaited<ReturnType<typeof api.person>>;

/** A collective A with an OWNER, an ADMIN, a plain MEMBER (parents) and a teenager T (MEMBER), all FULL. */
async function world() {
  const owner = await api.person('PARENT');
  const admin = await api.person('PARENT');
  const member = await api.person('PARENT');
  const teen = await api.person('TEENAGER');
  const roles: [Person, MembershipRole][] = [[owner, 'OWNER'], [admin, 'ADMIN'], [member, 'MEMBER'], [teen, 'MEMBER']];
  const a = await createCollective(api.prisma, roles.map(([p, role]) => ({ userId: p.user.id, role })));
  const rows = await api.prisma.collectiveMembership.findMany({ where: { collectiveId: a.id } });
  const membership = (p: Person) => gid('CollectiveMembership', rows.find((r) => r.userId === p.user.id)!.id);
  return { owner, admin, member, teen, a, A: gid('Collective', a.id), membership };
}

const U = (p: Person) => gid('User', p.user.id);
/** A context for `viewer` as a request would build it (the public functions' real argument). */
const contextFor = (viewer: Viewer) => createContext(api.app.services, viewer, null);
const viewerOf = (headers: Record<string, string>) =>
  resolveViewer(new Headers(headers), { prisma: api.prisma, queryOn: api.db.queryOn, config: api.app.services.config, background: () => {} });

/** The statements of the roles loader (other users' collectives): `WHERE user_id IN (...)` over memberships. */
const rolesQueries = (r: { sqlLog: string[] }) => r.sqlLog.filter((sql) => /FROM "app"\."collective_membership" AS "t0" WHERE "t0"\."user_id" IN/.test(sql));

const MEMBERS = `members(first: 20) { edges { node { role user { id } } } }`;
const REVOKE = (alias: string, teen: string) => `${alias}: revokeParentalConsent(input: { teenagerId: "${teen}" }) { revoked teenager { id } }`;

describe(`who may see a user: the manager path and its shortcuts (${dbKind})`, () => {
  it('OWNER and ADMIN see every member\'s profile from the member list, answered from the rows read (no query for roles)', async () => {
    const w = await world();
    for (const manager of [w.owner, w.admin]) {
      const r = await api.gql(`query($a: ID!) { collective(id: $a) { ${MEMBERS} } }`, { a: w.A }, { token: manager.token });
      expect(r.errors).toBeUndefined();
      const users = r.data.collective.members.edges.map((e: any) => e.node.user?.id).sort();
      expect(users).toEqual([w.owner, w.admin, w.member, w.teen].map(U).sort());
      // viewer, then the collective with its members and their users: the manager check of each row spends nothing.
      expect(r.sql).toBe(2);
    }
  });

  it('a plain MEMBER walking the member list gets every row and only their own profile; the others are one batched roles query', async () => {
    const w = await world();
    const r = await api.gql(`query($a: ID!) { collective(id: $a) { ${MEMBERS} } }`, { a: w.A }, { token: w.member.token });
    const users = r.data.collective.members.edges.map((e: any) => e.node.user?.id ?? null);
    expect(users.filter(Boolean)).toEqual([U(w.member)]);
    expect(users).toHaveLength(4);
    // Fellow members' profiles are null, not errors (CollectiveMembership.user is nullable).
    expect(r.errors).toBeUndefined();
    // The rows seen say "not a manager here"; the other collectives of the three are then read in one statement.
    expect(r.sql).toBe(3);
    // The roles query reads the collectives of the users asked about, not every membership.
    expect(rolesQueries(r)).toEqual([r.sqlLog[2]]);
  });

  it('by id: a manager sees a member of their collective, a manager elsewhere and a plain member do not, and both answers cost the same', async () => {
    const w = await world();
    const elsewhere = await api.person('PARENT');
    await createCollective(api.prisma, [{ userId: elsewhere.user.id, role: 'OWNER' }]);
    const q = `query($u: ID!) { user(id: $u) { id } }`;
    const seen = await api.gql(q, { u: U(w.teen) }, { token: w.admin.token });
    expect(seen.data).toEqual({ user: { id: U(w.teen) } });
    for (const who of [elsewhere, w.member]) {
      const hidden = await api.gql(q, { u: U(w.teen) }, { token: who.token });
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      expect(hidden.data).toEqual({ user: null });
      // viewer, user, the user's collectives: one query whether it answers yes or no.
      expect(hidden.sql).toBe(3);
    }
    expect(seen.sql).toBe(3);
  });

  it('an operator key sees users only with users:read (or *); without, a user is NOT_FOUND and costs no roles query', async () => {
    const w = await world();
    const q = `query($u: ID!) { user(id: $u) { id } }`;
    for (const permissions of [['users:read'], ['*']]) {
      const r = await api.gql(q, { u: U(w.teen) }, { apiKey: (await createApiKey(api.prisma, permissions)).key });
      expect(r.data, permissions[0]).toEqual({ user: { id: U(w.teen) } });
    }
    const withRead = await api.gql(q, { u: U(w.teen) }, { apiKey: (await createApiKey(api.prisma, ['users:read'])).key });
    const without = await api.gql(q, { u: U(w.teen) }, { apiKey: (await createApiKey(api.prisma, ['conversations:read'])).key });
    expect(codesOf(without)).toEqual(['NOT_FOUND']);
    // A key manages no collective: refused without asking the database whose member the user is.
    expect(without.sql).toBe(withRead.sql);
  });

  it('rows seen in one collective count with those seen in another, later in the same request (no roles query)', async () => {
    // The admin manages A and is a plain member of B; the teenager is in both. Root fields of a
    // mutation run one after the other: A's rows are read first, then B's.
    const w = await world();
    const b = await createCollective(api.prisma, [{ userId: w.owner.user.id, role: 'OWNER' }, { userId: w.admin.user.id, role: 'MEMBER' }, { userId: w.teen.user.id, role: 'MEMBER' }]);
    const adminInB = await api.prisma.collectiveMembership.findFirstOrThrow({ where: { userId: w.admin.user.id, collectiveId: b.id } });
    // Setting one's own role to the role one has writes nothing: a way to read a collective's rows in a mutation.
    const keep = (alias: string, m: string, role: MembershipRole) =>
      `${alias}: updateMemberRole(input: { membershipId: "${m}", role: ${role} }) { membership { collective { ${MEMBERS} } } }`;
    const r = await api.gql(`mutation { ${keep('a', w.membership(w.admin), 'ADMIN')} ${keep('b', gid('CollectiveMembership', adminInB.id), 'MEMBER')} }`, {}, { token: w.admin.token });
    expect(r.errors).toBeUndefined();
    const inB = r.data.b.membership.collective.members.edges.map((e: any) => e.node.user?.id);
    // In B, where the admin is a plain member, they see everyone: each one also belongs to A, which they manage.
    expect(inB.sort()).toEqual([w.owner, w.admin, w.teen].map(U).sort());
    // The owner and the teenager were seen in A: no query for their roles.
    expect(rolesQueries(r)).toEqual([]);
  });
});

describe(`a committed write changes the caller's facts for the rest of the request (${dbKind})`, () => {
  it('a member removed after their row was seen is hidden in the next field; the remover keeps their own role', async () => {
    const w = await world();
    const r = await api.gql(
      `mutation {
        a: updateMemberRole(input: { membershipId: "${w.membership(w.owner)}", role: OWNER }) { membership { collective { ${MEMBERS} } } }
        b: removeMember(input: { membershipId: "${w.membership(w.teen)}" }) { collective { id } }
        ${REVOKE('c', U(w.teen))}
      }`,
      {},
      { token: w.owner.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.a.membership.collective.members.edges.map((e: any) => e.node.user.id)).toContain(U(w.teen));
    // Someone else left: the owner still sees the collective.
    expect(r.data.b).toEqual({ collective: { id: w.A } });
    // The row seen in field a no longer says they share A.
    expect(r.data.c).toEqual({ revoked: false, teenager: null });
  });

  it('a member removed after their roles were read is hidden in the next field (their roles are read again)', async () => {
    const w = await world();
    const r = await api.gql(
      `mutation { ${REVOKE('a', U(w.teen))} b: removeMember(input: { membershipId: "${w.membership(w.teen)}" }) { removedMembershipId } ${REVOKE('c', U(w.teen))} }`,
      {},
      { token: w.admin.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.a).toEqual({ revoked: false, teenager: { id: U(w.teen) } });
    expect(r.data.c).toEqual({ revoked: false, teenager: null });
    expect(r.data.b.removedMembershipId).toBe(w.membership(w.teen));
  });

  it('promoting another member keeps the rows seen: no roles query for them afterwards', async () => {
    const w = await world();
    const r = await api.gql(
      `mutation {
        a: updateMemberRole(input: { membershipId: "${w.membership(w.owner)}", role: OWNER }) { membership { collective { ${MEMBERS} } } }
        b: updateMemberRole(input: { membershipId: "${w.membership(w.member)}", role: ADMIN }) { __typename }
        ${REVOKE('c', U(w.member))}
      }`,
      {},
      { token: w.owner.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.c).toEqual({ revoked: false, teenager: { id: U(w.member) } });
    expect((await api.prisma.collectiveMembership.findFirstOrThrow({ where: { userId: w.member.user.id } })).role).toBe('ADMIN');
    // The member's row seen in field a still answers in field c: no query for their roles.
    expect(rolesQueries(r)).toEqual([]);
  });

  it('a role change of another member as the first field (nothing read yet) applies to them, not to the caller', async () => {
    const w = await world();
    const r = await api.gql(
      `mutation { b: updateMemberRole(input: { membershipId: "${w.membership(w.member)}", role: ADMIN }) { membership { role } } ${REVOKE('c', U(w.member))} }`,
      {},
      { token: w.owner.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ b: { membership: { role: 'ADMIN' } }, c: { revoked: false, teenager: { id: U(w.member) } } });
  });

  it('an ADMIN who steps down no longer sees, in the next field, a member they saw as a manager', async () => {
    const w = await world();
    const r = await api.gql(
      `mutation { ${REVOKE('a', U(w.member))} b: updateMemberRole(input: { membershipId: "${w.membership(w.admin)}", role: MEMBER }) { membership { role } } ${REVOKE('c', U(w.member))} }`,
      {},
      { token: w.admin.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({
      a: { revoked: false, teenager: { id: U(w.member) } },
      b: { membership: { role: 'MEMBER' } },
      c: { revoked: false, teenager: null },
    });
  });

  it('creating a collective makes the caller its OWNER at once: its payload reads the manager-only invitations', async () => {
    const parent = await api.person('PARENT');
    const r = await api.gql(`mutation { createCollective(input: { name: "new", type: FAMILY }) { collective { name invitations(first: 1) { totalCount } } membership { role } } }`, {}, { token: parent.token });
    expect(r.errors).toBeUndefined();
    expect(r.data.createCollective).toEqual({ collective: { name: 'new', invitations: { totalCount: 0 } }, membership: { role: 'OWNER' } });
  });

  it('a consent given counts in the next field: an admin who granted it and stepped down still sees the teenager, and only them', async () => {
    const w = await world();
    const r = await api.gql(
      `mutation {
        g: grantParentalConsent(input: { teenagerId: "${U(w.teen)}" }) { teenager { id } }
        d: updateMemberRole(input: { membershipId: "${w.membership(w.admin)}", role: MEMBER }) { membership { collective { ${MEMBERS} } } }
      }`,
      {},
      { token: w.admin.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.g).toEqual({ teenager: { id: U(w.teen) } });
    const users = r.data.d.membership.collective.members.edges.map((e: any) => e.node.user?.id ?? null);
    expect(users.filter(Boolean).sort()).toEqual([U(w.admin), U(w.teen)].sort());
    expect(users).toHaveLength(4);
  });

  it('a consent withdrawn counts in the next field: the parent no longer sees the teenager', async () => {
    const teen = await api.person('TEENAGER');
    const parent = await api.person('PARENT');
    await api.prisma.parentalConsent.create({ data: { parentId: parent.user.id, teenagerId: teen.user.id } });
    const before = await api.gql(`query($u: ID!) { user(id: $u) { id } }`, { u: U(teen) }, { token: parent.token });
    expect(before.data).toEqual({ user: { id: U(teen) } });
    const r = await api.gql(`mutation { ${REVOKE('a', U(teen))} }`, {}, { token: parent.token });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: { revoked: true, teenager: null } });
  });

  it('a profile change counts in the next field: the authorization request takes the language just set', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT', { language: 'fr' });
    const r = await api.gql(
      `mutation {
        p: updateProfile(input: { language: "de" }) { user { language } }
        q: requestParentalAuthorization(input: { parentContact: "parent-${teen.user.id.slice(0, 8)}@example.com" }) { authorizationRequest { status } }
      }`,
      {},
      { token: teen.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ p: { user: { language: 'de' } }, q: { authorizationRequest: { status: 'PENDING' } } });
    expect((await api.prisma.parentalAuthorizationRequest.findFirstOrThrow({ where: { teenagerId: teen.user.id } })).language).toBe('de');
  });

  it('accepting the terms counts in the next field: hasConsented read before is not served from the request\'s cache', async () => {
    const parent = await api.person('PARENT', 'ONBOARDING');
    const r = await api.gql(
      `mutation {
        a: updateProfile(input: {}) { user { hasConsented } }
        b: acceptTerms(input: { accepted: true }) { session { scope } }
        c: updateProfile(input: {}) { user { hasConsented } }
      }`,
      {},
      { token: parent.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: { user: { hasConsented: false } }, b: { session: { scope: 'FULL' } }, c: { user: { hasConsented: true } } });
  });
});

describe(`the caller's functions, called as a resolver would (${dbKind})`, () => {
  it('signedIn and operatorKey return the caller of their kind and fail closed for any other', async () => {
    const p = await api.person('PARENT');
    const user = contextFor(await viewerOf({ authorization: `Bearer ${p.token}` }));
    const op = contextFor(await viewerOf({ 'x-api-key': (await createApiKey(api.prisma, ['users:read'])).key }));
    expect(signedIn(user).user.id).toBe(p.user.id);
    expect(operatorKey(op).permissions).toEqual(new Set(['users:read']));
    for (const ctx of [contextFor(anonymous), op]) {
      expect(() => signedIn(ctx)).toThrow('A user-only resolver ran without a user: declare authScopes on its field');
    }
    for (const ctx of [contextFor(anonymous), user]) {
      expect(() => operatorKey(ctx)).toThrow('An operator-only resolver ran without an API key: declare authScopes on its field');
    }
  });

  it('currentSession: the caller\'s session row as the transaction reads it; null for anyone but a user', async () => {
    const p = await api.person('PARENT');
    const user = contextFor(await viewerOf({ authorization: `Bearer ${p.token}` }));
    expect((await currentSession(user, api.prisma))?.id).toBe(p.session.id);
    expect(await currentSession(contextFor(anonymous), api.prisma)).toBeNull();
  });

  it('rolesOf: the caller\'s own roles with no query, another user\'s read once per request and batched, for anyone', async () => {
    const w = await world();
    const b = await createCollective(api.prisma, [{ userId: w.teen.user.id, role: 'ADMIN' }, { userId: w.member.user.id, role: 'OWNER' }]);
    const ctx = contextFor(await viewerOf({ authorization: `Bearer ${w.admin.token}` }));
    const own = await countSql(() => rolesOf(ctx, w.admin.user.id));
    expect(own.result).toBe(ctx.viewer.kind === 'user' && ctx.viewer.roles);
    expect(own.counter.statements).toBe(0);
    const others = await countSql(() => Promise.all([rolesOf(ctx, w.teen.user.id), rolesOf(ctx, w.member.user.id)]));
    expect(others.result).toEqual([new Map([[w.a.id, 'MEMBER'], [b.id, 'ADMIN']]), new Map([[w.a.id, 'MEMBER'], [b.id, 'OWNER']])]);
    expect(others.counter.statements).toBe(1);
    expect((await countSql(() => rolesOf(ctx, w.teen.user.id))).counter.statements).toBe(0);
    const stranger = await api.person('PARENT');
    expect(await rolesOf(ctx, stranger.user.id)).toEqual(new Map());
    // Not a user: every user is another user.
    expect(await rolesOf(contextFor(anonymous), w.admin.user.id)).toEqual(new Map([[w.a.id, 'ADMIN']]));
  });

  it('changed(role) on the caller: a role left is gone from their roles, a new one is there', async () => {
    const w = await world();
    const ctx = contextFor(await viewerOf({ authorization: `Bearer ${w.admin.token}` }));
    changed(ctx, { kind: 'role', userId: w.admin.user.id, collectiveId: w.a.id, role: null });
    expect(await rolesOf(ctx, w.admin.user.id)).toEqual(new Map());
    changed(ctx, { kind: 'role', userId: w.admin.user.id, collectiveId: w.a.id, role: 'OWNER' });
    expect(await rolesOf(ctx, w.admin.user.id)).toEqual(new Map([[w.a.id, 'OWNER']]));
  });

  it('changed(session): only the caller\'s own session is taken; another session, or none, changes nothing', async () => {
    const p = await api.person('PARENT');
    const other = await createSession(api.prisma, p.user.id, 'FULL');
    const ctx = contextFor(await viewerOf({ authorization: `Bearer ${p.token}` }));
    const before = ctx.viewer;
    changed(ctx, { kind: 'session', session: { ...other.session, scope: 'ONBOARDING' } });
    changed(ctx, { kind: 'session', session: null });
    expect(ctx.viewer).toBe(before);
    changed(ctx, { kind: 'session', session: { ...p.session, scope: 'PENDING_CONSENT' } });
    expect(ctx.viewer.kind === 'user' && ctx.viewer.session).toMatchObject({ id: p.session.id, scope: 'PENDING_CONSENT' });
  });

  it('changes of a user\'s facts leave a caller who is not a user exactly as they were', async () => {
    const w = await world();
    const op = await viewerOf({ 'x-api-key': (await createApiKey(api.prisma, ['collectives:read'])).key });
    for (const viewer of [anonymous, op]) {
      const ctx = contextFor(viewer);
      changed(ctx, { kind: 'role', userId: w.teen.user.id, collectiveId: w.a.id, role: null });
      changed(ctx, { kind: 'session', session: w.teen.session });
      changed(ctx, { kind: 'profile', user: { language: 'de' } });
      changed(ctx, { kind: 'parentalConsent', teenagerId: w.teen.user.id, given: true });
      expect(ctx.viewer).toBe(viewer);
    }
  });
});

describe(`scopes: who may call a field, and the refusal they get (${dbKind})`, () => {
  it('managerOf fields (consent state): the user themself, their OWNER and ADMIN, users:read; not a consenting parent', async () => {
    const w = await world();
    const parent = await api.person('PARENT');
    await api.prisma.parentalConsent.create({ data: { parentId: parent.user.id, teenagerId: w.teen.user.id } });
    const q = `query($u: ID!) { user(id: $u) { id hasConsented } }`;
    const users = (await createApiKey(api.prisma, ['users:read'])).key;
    for (const [name, auth] of [['self', { token: w.teen.token }], ['owner', { token: w.owner.token }], ['admin', { token: w.admin.token }], ['users:read', { apiKey: users }]] as const) {
      const r = await api.gql(q, { u: U(w.teen) }, auth);
      expect(r.data, name).toEqual({ user: { id: U(w.teen), hasConsented: true } });
    }
    // The parent sees the teenager (their consent) but is not their manager.
    const r = await api.gql(q, { u: U(w.teen) }, { token: parent.token });
    expect(r.data).toEqual({ user: null });
    expect(codesOf(r)).toEqual(['FORBIDDEN']);
    expect(r.errors![0].path).toEqual(['user', 'hasConsented']);
  });

  it('self fields (conversations, a conversation\'s title): the owner and conversations:read only, never a manager', async () => {
    const w = await world();
    const conv = await api.prisma.conversation.create({ data: { userId: w.teen.user.id, title: 'mine', conversationType: 'GENERAL' } });
    const q = `query($u: ID!) { user(id: $u) { id conversations(first: 1) { totalCount } } }`;
    const ops = (await createApiKey(api.prisma, ['users:read', 'conversations:read'])).key;
    for (const auth of [{ token: w.teen.token }, { apiKey: ops }]) {
      expect((await api.gql(q, { u: U(w.teen) }, auth)).data).toEqual({ user: { id: U(w.teen), conversations: { totalCount: 1 } } });
    }
    const manager = await api.gql(q, { u: U(w.teen) }, { token: w.owner.token });
    expect(codesOf(manager)).toEqual(['FORBIDDEN']);
    expect(manager.errors![0].path).toEqual(['user', 'conversations']);
    const title = `query($c: ID!) { node(id: $c) { ... on Conversation { conversationType title } } }`;
    const c = gid('Conversation', conv.id);
    expect((await api.gql(title, { c }, { token: w.teen.token })).data).toEqual({ node: { conversationType: 'GENERAL', title: 'mine' } });
    const op = await api.gql(title, { c }, { apiKey: ops });
    expect(codesOf(op)).toEqual(['FORBIDDEN']);
    expect(op.data).toEqual({ node: { conversationType: 'GENERAL', title: null } });
  });

  it('collectiveRole (a collective\'s invitations): OWNER, ADMIN and collectives:read; a plain MEMBER is refused', async () => {
    const w = await world();
    const q = `query($a: ID!) { collective(id: $a) { invitations(first: 1) { totalCount } } }`;
    const ops = (await createApiKey(api.prisma, ['collectives:read'])).key;
    for (const auth of [{ token: w.owner.token }, { token: w.admin.token }, { apiKey: ops }]) {
      expect((await api.gql(q, { a: w.A }, auth)).data).toEqual({ collective: { invitations: { totalCount: 0 } } });
    }
    const member = await api.gql(q, { a: w.A }, { token: w.member.token });
    expect(codesOf(member)).toEqual(['FORBIDDEN']);
    expect(member.errors![0].path).toEqual(['collective', 'invitations']);
    expect(member.data).toEqual({ collective: null });
  });

  it('the fast read path\'s SQL forms of self and operator: their owner\'s titles in its one statement; a key\'s refusal folds to FALSE', async () => {
    const teen = await api.person('TEENAGER');
    await api.prisma.conversation.create({ data: { userId: teen.user.id, title: 'own title', conversationType: 'GENERAL' } });
    const fast = { me: await fastCount(api.app, 'me'), users: await fastCount(api.app, 'users') };
    const me = await api.gql(`{ me { conversations(first: 5) { edges { node { title } } } } }`, {}, { token: teen.token });
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: { conversations: { edges: [{ node: { title: 'own title' } }] } } });
    // The viewer, then the tree in one statement, the title's rule (owner = caller) in it.
    expect(await fastCount(api.app, 'me')).toBe(fast.me + 1);
    expect(me.sql).toBe(2);
    // A key: the title's rule (self) is FALSE, and so is the conversations' without conversations:read;
    // a selection refused whatever the rows goes to the ordinary path, without a statement for nothing.
    const all = (await createApiKey(api.prisma, ['users:read', 'conversations:read'])).key;
    const titles = await api.gql(`{ users(first: 100) { edges { node { id conversations(first: 1) { edges { node { conversationType title } } } } } } }`, {}, { apiKey: all });
    const edges = titles.data.users.edges;
    expect(edges.find((e: any) => e.node.id === U(teen)).node).toEqual({ id: U(teen), conversations: { edges: [{ node: { conversationType: 'GENERAL', title: null } }] } });
    const conversations = edges.flatMap((e: any) => e.node.conversations.edges);
    expect(titles.errors!.map((e) => [e.extensions?.code, e.path?.at(-1)])).toEqual(conversations.map(() => ['FORBIDDEN', 'title']));
    const usersOnly = (await createApiKey(api.prisma, ['users:read'])).key;
    const refused = await api.gql(`{ users(first: 100) { edges { node { id conversations(first: 1) { totalCount } } } } }`, {}, { apiKey: usersOnly });
    // The connection is non-null: the first refusal nulls the list.
    expect(refused.data).toEqual({ users: null });
    expect(refused.errors!.map((e) => [e.extensions?.code, e.message, e.path])).toEqual([['FORBIDDEN', 'Not allowed', ['users', 'edges', 0, 'node', 'conversations']]]);
    expect(await fastCount(api.app, 'users')).toBe(fast.users);
    // With conversations:read and no title the rule is TRUE: the fast path answers, in one statement.
    const metadata = await api.gql(`{ users(first: 100) { edges { node { id conversations(first: 1) { edges { node { conversationType } } } } } } }`, {}, { apiKey: all });
    expect(metadata.errors).toBeUndefined();
    expect(await fastCount(api.app, 'users')).toBe(fast.users + 1);
  });

  it('the SQL form of the User rule answers as its JS form for every kind of caller (the managed collectives included)', async () => {
    const w = await world();
    const parent = await api.person('PARENT');
    const stranger = await api.person('TEENAGER');
    await api.prisma.parentalConsent.create({ data: { parentId: parent.user.id, teenagerId: w.teen.user.id } });
    const viewers: Viewer[] = [anonymous];
    for (const p of [w.owner, w.admin, w.member, w.teen, parent, stranger]) viewers.push(await viewerOf({ authorization: `Bearer ${p.token}` }));
    for (const permissions of [['users:read'], ['*'], ['collectives:read']]) viewers.push(await viewerOf({ 'x-api-key': (await createApiKey(api.prisma, permissions)).key }));
    const rows = [w.owner, w.admin, w.member, w.teen, parent, stranger].map((p) => p.user);
    let visible = 0;
    for (const viewer of viewers) {
      for (const row of rows) {
        const ctx = contextFor(viewer);
        const params: unknown[] = [];
        const condition = visibleSql('User', ctx, 'u', (value) => `$${params.push(value)}`);
        const [sql] = await api.prisma.$queryRawUnsafe<{ visible: boolean }[]>(`SELECT (${condition}) AS visible FROM app."user" u WHERE u.id = $${params.length + 1}::uuid`, ...params, row.id);
        const js = await isVisible('User', row, ctx);
        expect(sql.visible, `${viewer.kind} ${viewer.kind === 'user' ? viewer.user.id : ''} sees ${row.id}`).toBe(js);
        if (js) visible++;
      }
    }
    // Both answers happen for users and for keys.
    expect(visible).toBeGreaterThan(10);
    expect(visible).toBeLessThan(viewers.length * rows.length);
  });

  it('the SQL forms of the Conversation and ChatSession rules answer as their JS forms (owner, others, keys with and without conversations:read)', async () => {
    const w = await world();
    const stranger = await api.person('TEENAGER');
    const viewers: Viewer[] = [anonymous];
    for (const p of [w.teen, w.owner, stranger]) viewers.push(await viewerOf({ authorization: `Bearer ${p.token}` }));
    for (const permissions of [['conversations:read'], ['users:read'], ['*']]) viewers.push(await viewerOf({ 'x-api-key': (await createApiKey(api.prisma, permissions)).key }));
    const conversations = await Promise.all(
      [w.teen, stranger].map((p) => api.prisma.conversation.create({ data: { userId: p.user.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } }, include: { chatSessions: true } })),
    );
    const answers = new Set<string>();
    for (const viewer of viewers) {
      for (const c of conversations) {
        for (const [type, table, row] of [
          ['Conversation', 'conversation', c],
          ['ChatSession', 'chat_session', c.chatSessions[0]],
        ] as const) {
          const ctx = contextFor(viewer);
          const params: unknown[] = [];
          const condition = visibleSql(type, ctx, 'r', (value) => `$${params.push(value)}`);
          const [sql] = await api.prisma.$queryRawUnsafe<{ visible: boolean }[]>(`SELECT (${condition}) AS visible FROM app.${table} r WHERE r.id = $${params.length + 1}::uuid`, ...params, row.id);
          const js = await isVisible(type, row, ctx);
          expect(sql.visible, `${type}: ${viewer.kind} ${viewer.kind === 'operator' ? JSON.stringify(viewer) : ''}`).toBe(js);
          answers.add(`${type}:${js}`);
        }
      }
    }
    expect([...answers].sort()).toEqual(['ChatSession:false', 'ChatSession:true', 'Conversation:false', 'Conversation:true']);
  });

  it('a key lacking search:diagnostics is told that permission on searchDocuments ($any with a session scope)', async () => {
    const key = (await createApiKey(api.prisma, ['users:read'])).key;
    const r = await api.gql(`{ searchDocuments(query: "x") { score } }`, {}, { apiKey: key });
    expect(codesOf(r)).toEqual(['FORBIDDEN']);
    expect(r.errors![0].message).toBe('This API key lacks the search:diagnostics permission');
  });
});

describe(`subscriptions: the caller read again before each event (${dbKind})`, () => {
  const sse = (query: string, variables: Record<string, unknown>, token: string) =>
    openSse((url, init) => api.app.yoga.fetch(url, init, { req: { socket: { remoteAddress: '127.0.0.1' } } }), 'http://test.local/graphql', query, variables, { authorization: `Bearer ${token}` });

  it('a FULL owner hears their chat session\'s messages; after signing out, both streams complete with nothing more', async () => {
    const teen = await api.person('TEENAGER');
    const conv = await api.prisma.conversation.create({ data: { userId: teen.user.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } }, include: { chatSessions: true } });
    const chat = gid('ChatSession', conv.chatSessions[0].id);
    const messages = await sse(`subscription($id: ID!) { messageAdded(chatSessionId: $id) { text } }`, { id: chat }, teen.token);
    const changes = await sse(`subscription { sessionChanged { scope } }`, {}, teen.token);
    expect((await changes.next(10_000))!.data).toEqual({ sessionChanged: { scope: 'FULL' } });
    const send = await api.gql(`mutation($id: ID!) { sendMessage(input: { chatSessionId: $id, text: "salut" }) { message { id } } }`, { id: chat }, { token: teen.token });
    expect(send.errors).toBeUndefined();
    expect((await messages.next(10_000))!.data).toEqual({ messageAdded: { text: 'salut' } });
    expect(codesOf(await api.gql(`mutation { signOut { endedSessionIds } }`, {}, { token: teen.token }))).toEqual([]);
    expect(await changes.next(10_000)).toBeNull();
    expect(await changes.ended).toBe('complete');
    expect(await messages.next(10_000)).toBeNull();
    expect(await messages.ended).toBe('complete');
  });
});

// The registry's own helpers: the SQL folds every SQL form is built with, and deny-by-default for
// a type without a rule (mutation testing showed them reached only through their callers).
describe('visibility.ts: SQL folds and deny by default', () => {
  it('sqlOr and sqlAnd fold TRUE and FALSE, drop repeats, and parenthesize what is left', () => {
    expect(sqlOr()).toBe('FALSE');
    expect(sqlOr('FALSE', 'FALSE')).toBe('FALSE');
    expect(sqlOr('a', 'TRUE')).toBe('TRUE');
    expect(sqlOr('FALSE', 'a')).toBe('a');
    expect(sqlOr('a', 'a')).toBe('a');
    expect(sqlOr('a', 'b', 'FALSE', 'a')).toBe('(a OR b)');
    expect(sqlAnd()).toBe('TRUE');
    expect(sqlAnd('TRUE', 'TRUE')).toBe('TRUE');
    expect(sqlAnd('a', 'FALSE')).toBe('FALSE');
    expect(sqlAnd('TRUE', 'a')).toBe('a');
    expect(sqlAnd('a', 'a')).toBe('a');
    expect(sqlAnd('a', 'b', 'TRUE', 'b')).toBe('(a AND b)');
  });

  it('a type without a rule: its SQL form is FALSE, no id of it is servable, no row of it is visible', async () => {
    const ctx = contextFor(anonymous);
    const uuid = '00000000-0000-4000-8000-000000000000';
    expect(visibleSql('NoSuchType', ctx, 't', () => '$1')).toBe('FALSE');
    expect(isServableId('NoSuchType', uuid, ctx)).toBe(false);
    expect(isServableId('User', uuid, ctx)).toBe(true);
    expect(isServableId('User', 'not-a-uuid', ctx)).toBe(false);
    await expect(isVisible('NoSuchType', { id: uuid }, ctx)).resolves.toBe(false);
    await expect(isVisible('User', null, ctx)).resolves.toBe(false);
    await expect(probeMissing('NoSuchType', uuid, ctx)).resolves.toBeUndefined();
  });
});

// probeMissing and the types' stand-in rows (visibility.ts): a lookup of a missing row runs its
// type's rule on a stand-in, so it sends the statements a hidden row's does and the two cannot be
// told apart by their round trips. Without the probe nothing answers differently, only the count.
describe(`a missing object costs the statements a hidden one does (${dbKind})`, () => {
  it('node(id:) of a hidden and of a missing User, ChatSession and Feedback, and user(id:): NOT_FOUND alike, in as many statements', async () => {
    const teen = await api.person('TEENAGER');
    const stranger = await api.person('PARENT');
    const conversation = await api.prisma.conversation.create({ data: { userId: teen.user.id, conversationType: 'INCIDENT', chatSessions: { create: [{}] } }, include: { chatSessions: true } });
    const chat = conversation.chatSessions[0];
    const feedback = await api.prisma.feedback.create({ data: { sessionId: chat.id, rating: 4, isPositive: true } });
    const nowhere = '00000000-0000-4000-8000-00000000abcd';
    const NODE = 'query($id: ID!) { node(id: $id) { id } }';
    const USER = 'query($id: ID!) { user(id: $id) { id } }';
    const cases: [string, string, string][] = [[NODE, 'User', teen.user.id], [NODE, 'ChatSession', chat.id], [NODE, 'Feedback', feedback.id], [USER, 'User', teen.user.id]];
    for (const [query, type, id] of cases) {
      const hidden = await api.gql(query, { id: gid(type, id) }, { token: stranger.token });
      const missing = await api.gql(query, { id: gid(type, nowhere) }, { token: stranger.token });
      const label = `${query === NODE ? 'node' : 'user'}(id:) of a ${type}`;
      expect(codesOf(hidden), label).toEqual(['NOT_FOUND']);
      expect(missing.errors, label).toEqual(hidden.errors);
      // The row's lookup, then the rule's own (the owner, or the user's collectives), on top of the viewer's.
      expect({ label, statements: missing.sql }).toEqual({ label, statements: hidden.sql });
    }
  });
});

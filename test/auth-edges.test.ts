// What callers send that the happy paths never do: two credentials at once, broken headers,
// keys not yet or no longer valid, a parent revoking someone else's consent, managers by role.
import { beforeAll, describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp, useTestApp } from './helpers/app.ts';
import { createApiKey, createCollective, createSession, createUser, gid } from './factories/index.ts';

const ME = '{ me { id } }';
const USERS = '{ users(first: 1) { totalCount } }';

describe(`credentials (${dbKind})`, () => {
  const api = useTestApp();
  let token: string;
  let key: string;
  beforeAll(async () => {
    const user = await createUser(api.prisma);
    token = (await createSession(api.prisma, user.id)).token;
    key = (await createApiKey(api.prisma, ['users:read'])).key;
  });

  it('a bearer token and an API key together: UNAUTHENTICATED, even when both are valid (a request acts for one caller)', async () => {
    for (const query of [ME, USERS]) {
      const r = await api.gql(query, {}, { token, apiKey: key });
      expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
      expect(r.errors![0].message).toBe('Send either a bearer token or an API key, not both');
      expect(r.data ?? null).toBeNull();
    }
    // Each alone works.
    expect((await api.gql(ME, {}, { token })).data.me.id).toBeTruthy();
    expect((await api.gql(USERS, {}, { apiKey: key })).data.users.totalCount).toBeGreaterThan(0);
  });

  it('a malformed Authorization header is UNAUTHENTICATED, never treated as anonymous', async () => {
    for (const header of ['Basic dXNlcjpwdw==', 'Bearer', 'Bearer a b', token, `Token ${token}`]) {
      const r = await api.gql(ME, {}, { headers: { authorization: header } });
      expect(codesOf(r), header).toEqual(['UNAUTHENTICATED']);
      expect(r.data ?? null).toBeNull();
    }
    // A well-formed header with junk or an unknown token: the same answer, no detail.
    for (const junk of ['x'.repeat(10), 'y'.repeat(43), '../../etc/passwd-aaaaaaaaaaaaaaaaaaaaa']) {
      expect(codesOf(await api.gql(ME, {}, { token: junk })), junk).toEqual(['UNAUTHENTICATED']);
    }
    // The scheme is case-insensitive (RFC 9110) and surrounding spaces are tolerated.
    expect((await api.gql(ME, {}, { headers: { authorization: `bearer   ${token}  ` } })).data.me.id).toBeTruthy();
  });

  it('an API key works until its expiry and not after it; an inactive key never works', async () => {
    const future = await createApiKey(api.prisma, ['users:read'], { expiresAt: new Date(Date.now() + 3600_000) });
    expect((await api.gql(USERS, {}, { apiKey: future.key })).data.users.totalCount).toBeGreaterThan(0);
    const past = await createApiKey(api.prisma, ['users:read'], { expiresAt: new Date(Date.now() - 1000) });
    const expired = await api.gql(USERS, {}, { apiKey: past.key });
    expect(codesOf(expired)).toEqual(['UNAUTHENTICATED']);
    expect(expired.errors![0].message).toBe('Invalid API key');
    const inactive = await createApiKey(api.prisma, ['users:read'], { expiresAt: new Date(Date.now() + 3600_000), isActive: false });
    expect(codesOf(await api.gql(USERS, {}, { apiKey: inactive.key }))).toEqual(['UNAUTHENTICATED']);
  });

  it('an API key lacking the permission: FORBIDDEN naming the permission; anonymous: UNAUTHENTICATED', async () => {
    const other = await createApiKey(api.prisma, ['flags:write']);
    const r = await api.gql(USERS, {}, { apiKey: other.key });
    expect(codesOf(r)).toEqual(['FORBIDDEN']);
    expect(r.errors![0].message).toBe('This API key lacks the users:read permission');
    expect(codesOf(await api.gql(USERS))).toEqual(['UNAUTHENTICATED']);
    const wildcard = await createApiKey(api.prisma, ['*']);
    expect((await api.gql(USERS, {}, { apiKey: wildcard.key })).data.users.totalCount).toBeGreaterThan(0);
  });

  it('below the root a refusal only says FORBIDDEN "Not allowed": it names no permission and no step', async () => {
    const users = await api.gql('{ users(first: 1) { edges { node { id conversations(first: 1) { totalCount } } } } }', {}, { apiKey: key });
    expect(codesOf(users)).toEqual(['FORBIDDEN']);
    expect(users.errors![0].message).toBe('Not allowed');
    expect(users.errors![0].path).toEqual(['users', 'edges', 0, 'node', 'conversations']);
    expect(users.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
  });

  it('anonymous { me { id conversations { totalCount } } } answers me: null with no error, and sends no SQL', async () => {
    const r = await api.gql('{ me { id conversations(first: 1) { totalCount } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ me: null });
    expect(r.sql).toBe(0);
    // An operator key is not a user either.
    const op = await api.gql('{ me { id conversations(first: 1) { totalCount } } }', {}, { apiKey: key });
    expect(op.errors).toBeUndefined();
    expect(op.data).toEqual({ me: null });
  });

  it('production hides enum value suggestions, in literals and in variables', async () => {
    const prod = createTestApp(api.db, { APP_ENV: 'production' });
    const literal = await prod.gql('mutation { signIn(input: { idp: mock_idp, loginId: "x", origin: "web" }) { token } }');
    const variable = await prod.gql('mutation($i: SignInInput!) { signIn(input: $i) { token } }', { i: { idp: 'MOCK_ID', loginId: 'x', origin: 'web' } });
    const field = await prod.gql('{ helth { status } }');
    for (const r of [literal, variable, field]) {
      expect(r.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(r.errors)).not.toMatch(/Did you mean|MOCK_IDP|health/);
    }
    expect(literal.errors![0].message).toMatch(/^Value "mock_idp" does not exist in "\w+" enum\.$/);
    // Development keeps them: they help whoever writes the query.
    const dev = await api.gql('mutation { signIn(input: { idp: mock_idp, loginId: "y", origin: "web" }) { token } }');
    expect(JSON.stringify(dev.errors)).toMatch(/MOCK_IDP/);
  });
});

describe(`consent and managers, edge cases (${dbKind})`, () => {
  const api = useTestApp();

  async function consented(userType: 'TEENAGER' | 'PARENT', scope: 'FULL' | 'PENDING_CONSENT' = 'FULL') {
    const p = await api.person(userType, scope);
    return { ...p, gid: gid('User', p.user.id) };
  }
  const REVOKE = `mutation($t: ID!) { revokeParentalConsent(input: { teenagerId: $t }) { revoked teenagerId } }`;
  const GRANT = `mutation($t: ID!) { grantParentalConsent(input: { teenagerId: $t }) { teenager { id } } }`;

  it('a parent revoking a consent they did not give: revoked false, the other parent\'s consent and the teen\'s FULL sessions stay', async () => {
    const teen = await consented('TEENAGER');
    const mother = await consented('PARENT');
    const stranger = await consented('PARENT');
    await api.prisma.parentalConsent.create({ data: { parentId: mother.user.id, teenagerId: teen.user.id } });
    const r = await api.gql(REVOKE, { t: teen.gid }, { token: stranger.token });
    expect(r.errors).toBeUndefined();
    expect(r.data.revokeParentalConsent).toEqual({ revoked: false, teenagerId: teen.gid });
    expect(await api.prisma.parentalConsent.findMany({ where: { teenagerId: teen.user.id }, select: { parentId: true } })).toEqual([{ parentId: mother.user.id }]);
    const sessions = await api.prisma.appSession.findMany({ where: { userId: teen.user.id }, select: { scope: true } });
    expect(sessions).toEqual([{ scope: 'FULL' }]);
    // The stranger still cannot see the teenager.
    expect(codesOf(await api.gql('query($id: ID!) { user(id: $id) { id } }', { id: teen.gid }, { token: stranger.token }))).toEqual(['NOT_FOUND']);
    // The mother's own revocation does revoke.
    expect((await api.gql(REVOKE, { t: teen.gid }, { token: mother.token })).data.revokeParentalConsent.revoked).toBe(true);
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: teen.user.id } })).toBe(0);
  });

  it('the manager path: an ADMIN of the teen\'s collective sees them and may grant consent; a plain MEMBER may do neither', async () => {
    const teen = await consented('TEENAGER', 'PENDING_CONSENT');
    const admin = await consented('PARENT');
    const member = await consented('PARENT');
    await createCollective(api.prisma, [
      { userId: teen.user.id, role: 'MEMBER' },
      { userId: admin.user.id, role: 'ADMIN' },
      { userId: member.user.id, role: 'MEMBER' },
    ]);
    // Sessions read roles when the request starts: open them after the memberships exist.
    const adminToken = (await createSession(api.prisma, admin.user.id)).token;
    const memberToken = (await createSession(api.prisma, member.user.id)).token;
    const READ = 'query($id: ID!) { user(id: $id) { id hasConsented parentalConsents { createdAt } } }';

    const seenByAdmin = await api.gql(READ, { id: teen.gid }, { token: adminToken });
    expect(seenByAdmin.errors).toBeUndefined();
    expect(seenByAdmin.data.user).toEqual({ id: teen.gid, hasConsented: true, parentalConsents: [] });
    const seenByMember = await api.gql(READ, { id: teen.gid }, { token: memberToken });
    expect(codesOf(seenByMember)).toEqual(['NOT_FOUND']);
    expect(seenByMember.data?.user ?? null).toBeNull();
    // Through the member list the plain member sees every row's role, but only their own profile:
    // the teen's and the admin's user are null, without an error that would hide the whole list.
    const list = await api.gql('{ me { collectives { members { edges { node { role user { id hasConsented } } } } } } }', {}, { token: memberToken });
    expect(list.errors).toBeUndefined();
    const rows = list.data.me.collectives.flatMap((c: { members: { edges: { node: unknown }[] } }) => c.members.edges.map((e) => e.node));
    expect(rows).toHaveLength(3);
    expect(rows).toEqual(expect.arrayContaining([
      { role: 'MEMBER', user: null },
      { role: 'ADMIN', user: null },
      { role: 'MEMBER', user: { id: member.gid, hasConsented: true } },
    ]));
    // The ADMIN's list has every profile, the teen's consent state included.
    const adminList = await api.gql('{ me { collectives { members { edges { node { role user { id hasConsented } } } } } } }', {}, { token: adminToken });
    expect(adminList.errors).toBeUndefined();
    expect(JSON.stringify(adminList.data)).toContain(JSON.stringify({ role: 'MEMBER', user: { id: teen.gid, hasConsented: true } }));

    const byMember = await api.gql(GRANT, { t: teen.gid }, { token: memberToken });
    expect(codesOf(byMember)).toEqual(['NOT_FOUND']);
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: teen.user.id } })).toBe(0);
    const byAdmin = await api.gql(GRANT, { t: teen.gid }, { token: adminToken });
    expect(byAdmin.errors).toBeUndefined();
    expect(await api.prisma.parentalConsent.findMany({ where: { teenagerId: teen.user.id }, select: { parentId: true } })).toEqual([{ parentId: admin.user.id }]);
    expect(await api.prisma.appSession.findMany({ where: { userId: teen.user.id }, select: { scope: true } })).toEqual([{ scope: 'FULL' }]);
  });
});

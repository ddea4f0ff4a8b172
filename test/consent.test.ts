import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { createCollective, createSession, createUser } from './factories/index.ts';

const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { token session { scope } user { id } } }`;
const ACCEPT = `mutation { acceptTerms(input: { accepted: true }) { session { scope } user { hasConsented } } }`;
const REQUEST = `mutation($c: String!) { requestParentalAuthorization(input: { parentContact: $c }) { authorizationRequest { id status parentContact } } }`;
const GRANT = `mutation($t: ID!, $r: ID) { grantParentalConsent(input: { teenagerId: $t, requestId: $r }) { teenager { id } parentalConsent { createdAt parent { id } } } }`;
const REVOKE = `mutation($t: ID!) { revokeParentalConsent(input: { teenagerId: $t }) { revoked teenagerId } }`;
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

describe(`consent pipeline (${dbKind})`, () => {
  let db: TestDatabase;
  let api: ReturnType<typeof createTestApp>;
  beforeAll(async () => {
    db = await createTestDatabase();
    api = createTestApp(db);
  });
  afterAll(() => db.destroy());

  async function signIn(loginId: string, userType: 'TEENAGER' | 'PARENT' = 'TEENAGER') {
    const r = await api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId, origin: 'web_react', userType } });
    expect(r.errors).toBeUndefined();
    return { token: r.data.signIn.token as string, userId: r.data.signIn.user.id as string, rawId: Buffer.from(r.data.signIn.user.id, 'base64').toString().split(':')[1] };
  }
  const scopes = async (rawUserId: string) =>
    (await db.prisma.appSession.findMany({ where: { userId: rawUserId, expiresAt: { gt: new Date() } } })).map((s) => s.scope);

  it('teen: ONBOARDING, then PENDING_CONSENT after the terms, then FULL on every live session when a parent consents; revocation moves them back', async () => {
    const teen = await signIn('teen-a');
    const second = await signIn('teen-a'); // a second device
    const gated = await api.gql(REQUEST, { c: 'maman@example.org' }, { token: teen.token });
    expect(codesOf(gated)).toEqual(['CONSENT_REQUIRED']);
    expect(gated.errors![0].extensions).toMatchObject({ requiredScope: 'PENDING_CONSENT', currentScope: 'ONBOARDING', nextStep: 'ACCEPT_TERMS' });

    const accepted = await api.gql(ACCEPT, {}, { token: teen.token, remoteAddress: '203.0.113.9' });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.acceptTerms.session.scope).toBe('PENDING_CONSENT');
    expect(accepted.data.acceptTerms.user.hasConsented).toBe(true);
    expect(await scopes(teen.rawId)).toEqual(['PENDING_CONSENT', 'PENDING_CONSENT']);
    expect((await db.prisma.userConsent.findFirstOrThrow({ where: { userId: teen.rawId } })).consentIp).toBe('203.0.113.9');

    const req = await api.gql(REQUEST, { c: ' Maman@Example.org ' }, { token: second.token });
    expect(req.errors).toBeUndefined();
    const again = await api.gql(REQUEST, { c: 'maman@example.org' }, { token: teen.token });
    expect(again.data.requestParentalAuthorization.authorizationRequest.id).toBe(req.data.requestParentalAuthorization.authorizationRequest.id);
    expect(req.data.requestParentalAuthorization.authorizationRequest.parentContact).toBe('maman@example.org');

    const parent = await signIn('parent-a', 'PARENT');
    expect((await api.gql(ACCEPT, {}, { token: parent.token })).data.acceptTerms.session.scope).toBe('FULL');
    const granted = await api.gql(GRANT, { t: teen.userId, r: req.data.requestParentalAuthorization.authorizationRequest.id }, { token: parent.token });
    expect(granted.errors).toBeUndefined();
    expect(granted.data.grantParentalConsent.teenager.id).toBe(teen.userId);
    expect(await scopes(teen.rawId)).toEqual(['FULL', 'FULL']);
    const request = await db.prisma.parentalAuthorizationRequest.findFirstOrThrow({ where: { teenagerId: teen.rawId } });
    expect(request.status).toBe('GRANTED');
    expect(request.parentId).toBe(parent.rawId);

    // Granting twice is harmless.
    expect((await api.gql(GRANT, { t: teen.userId }, { token: parent.token })).errors).toBeUndefined();

    const revoked = await api.gql(REVOKE, { t: teen.userId }, { token: parent.token });
    expect(revoked.data.revokeParentalConsent.revoked).toBe(true);
    expect(await scopes(teen.rawId)).toEqual(['PENDING_CONSENT', 'PENDING_CONSENT']);
    expect((await api.gql(REVOKE, { t: teen.userId }, { token: parent.token })).data.revokeParentalConsent.revoked).toBe(false);
  });

  it('revocation keeps FULL while a collective still grants consent', async () => {
    const teen = await signIn('teen-b');
    await api.gql(ACCEPT, {}, { token: teen.token });
    const parent = await signIn('parent-b', 'PARENT');
    await api.gql(ACCEPT, {}, { token: parent.token });
    await createCollective(db.prisma, [{ userId: parent.rawId, role: 'OWNER' }, { userId: teen.rawId, role: 'MEMBER' }], { parentalConsentGranted: true });
    // The owner of the teen's family may consent without a request.
    const parentAgain = await signIn('parent-b', 'PARENT'); // fresh session: roles are read at sign-in
    expect((await api.gql(GRANT, { t: teen.userId }, { token: parentAgain.token })).errors).toBeUndefined();
    await api.gql(REVOKE, { t: teen.userId }, { token: parentAgain.token });
    expect(await scopes(teen.rawId)).toEqual(['FULL']);
  });

  it('a parent who neither manages the teen nor holds a request gets NOT_FOUND, exactly as for a missing teen', async () => {
    const teen = await signIn('teen-c');
    const stranger = await signIn('parent-c', 'PARENT');
    await api.gql(ACCEPT, {}, { token: stranger.token });
    const hidden = await api.gql(GRANT, { t: teen.userId }, { token: stranger.token });
    const missing = await api.gql(GRANT, { t: gid('User', '00000000-0000-4000-8000-000000000000') }, { token: stranger.token });
    expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
    expect(hidden.errors).toEqual(missing.errors);
    expect(await db.prisma.parentalConsent.count({ where: { teenagerId: teen.rawId } })).toBe(0);
  });

  it('only parents consent, only teenagers request', async () => {
    const teen = await signIn('teen-d');
    await api.gql(ACCEPT, {}, { token: teen.token });
    await db.prisma.appSession.updateMany({ where: { userId: teen.rawId }, data: { scope: 'FULL' } });
    expect(codesOf(await api.gql(GRANT, { t: teen.userId }, { token: teen.token }))).toEqual(['FORBIDDEN']);
    const parent = await signIn('parent-d', 'PARENT');
    await api.gql(ACCEPT, {}, { token: parent.token });
    expect(codesOf(await api.gql(REQUEST, { c: 'x@example.org' }, { token: parent.token }))).toEqual(['FORBIDDEN']);
  });

  it('concurrent requests to one contact leave one open request', async () => {
    const teen = await signIn('teen-e');
    await api.gql(ACCEPT, {}, { token: teen.token });
    const results = await Promise.all(Array.from({ length: 6 }, () => api.gql(REQUEST, { c: '+33 6 12 34 56 78' }, { token: teen.token })));
    expect(results.flatMap(codesOf)).toEqual([]);
    expect(await db.prisma.parentalAuthorizationRequest.count({ where: { teenagerId: teen.rawId } })).toBe(1);
  });

  it('rejects bad input with BAD_USER_INPUT', async () => {
    const teen = await signIn('teen-f');
    expect(codesOf(await api.gql(`mutation { acceptTerms(input: { accepted: false }) { user { id } } }`, {}, { token: teen.token }))).toEqual(['BAD_USER_INPUT']);
    expect(await db.prisma.userConsent.count({ where: { userId: teen.rawId } })).toBe(0);
    await api.gql(ACCEPT, {}, { token: teen.token });
    expect(codesOf(await api.gql(REQUEST, { c: 'not a contact' }, { token: teen.token }))).toEqual(['BAD_USER_INPUT']);
  });

  it('the consent address is the socket peer; X-Forwarded-For counts only behind a trusted proxy', async () => {
    const direct = await signIn('teen-g');
    await api.gql(ACCEPT, {}, { token: direct.token, remoteAddress: '198.51.100.4', headers: { 'x-forwarded-for': '192.0.2.1' } });
    expect((await db.prisma.userConsent.findFirstOrThrow({ where: { userId: direct.rawId } })).consentIp).toBe('198.51.100.4');
    const proxied = createTestApp(db, { TRUST_PROXY: 'true' });
    const viaProxy = await signIn('teen-h');
    await proxied.gql(ACCEPT, {}, { token: viaProxy.token, remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': '192.0.2.1, 10.0.0.2' } });
    expect((await db.prisma.userConsent.findFirstOrThrow({ where: { userId: viaProxy.rawId } })).consentIp).toBe('192.0.2.1');
  });
});

describe(`sign-out (${dbKind})`, () => {
  let db: TestDatabase;
  let api: ReturnType<typeof createTestApp>;
  beforeAll(async () => {
    db = await createTestDatabase();
    api = createTestApp(db);
  });
  afterAll(() => db.destroy());

  it('signOut ends this session at once; signOutEverywhere ends the others, or all', async () => {
    const user = await createUser(db.prisma);
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createSession(db.prisma, user.id)));
    const out = await api.gql(`mutation { signOut { endedSessionIds session { id } } }`, {}, { token: a.token });
    expect(out.errors).toBeUndefined();
    expect(out.data.signOut.session).toBeNull();
    expect(codesOf(await api.gql('{ me { id } }', {}, { token: a.token }))).toEqual(['UNAUTHENTICATED']);

    const keep = await api.gql(`mutation { signOutEverywhere(input: { keepCurrent: true }) { endedSessionIds session { current } } }`, {}, { token: b.token });
    expect(keep.data.signOutEverywhere.endedSessionIds).toEqual([Buffer.from(`AppSession:${c.session.id}`).toString('base64')]);
    expect(keep.data.signOutEverywhere.session.current).toBe(true);
    expect(codesOf(await api.gql('{ me { id } }', {}, { token: c.token }))).toEqual(['UNAUTHENTICATED']);
    expect((await api.gql('{ me { id } }', {}, { token: b.token })).errors).toBeUndefined();

    await api.gql(`mutation { signOutEverywhere { endedSessionIds } }`, {}, { token: b.token });
    expect(codesOf(await api.gql('{ me { id } }', {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);
  });

  it("cannot end someone else's session", async () => {
    const [u1, u2] = await Promise.all([createUser(db.prisma), createUser(db.prisma)]);
    const s1 = await createSession(db.prisma, u1.id);
    const s2 = await createSession(db.prisma, u2.id);
    const r = await api.gql(`mutation($id: ID!) { signOut(input: { sessionId: $id }) { endedSessionIds } }`, { id: Buffer.from(`AppSession:${s2.session.id}`).toString('base64') }, { token: s1.token });
    expect(codesOf(r)).toEqual(['NOT_FOUND']);
    expect((await api.gql('{ me { id } }', {}, { token: s2.token })).errors).toBeUndefined();
  });
});

describe(`concurrent consent changes (${dbKind})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ poolMax: 20 });
  });
  afterAll(() => db.destroy());

  it('two owners toggling consent on two collectives that share teenagers never deadlock or fail', async () => {
    const api = createTestApp(db);
    const teens = await Promise.all(Array.from({ length: 8 }, () => createUser(db.prisma)));
    for (const t of teens) {
      await db.prisma.userConsent.create({ data: { userId: t.id } });
      await Promise.all([1, 2].map(() => createSession(db.prisma, t.id, 'PENDING_CONSENT')));
    }
    const owners = await Promise.all([1, 2].map(() => createUser(db.prisma, { userType: 'PARENT' })));
    const collectives = await Promise.all(
      owners.map((o, i) =>
        createCollective(db.prisma, [{ userId: o.id, role: 'OWNER' }, ...(i ? [...teens].reverse() : teens).map((t) => ({ userId: t.id, role: 'MEMBER' as const }))]),
      ),
    );
    const tokens = await Promise.all(owners.map(async (o) => (await createSession(db.prisma, o.id)).token));
    const toggle = `mutation($id: ID!, $g: Boolean!) { setCollectiveParentalConsent(input: { collectiveId: $id, granted: $g }) { collective { parentalConsentGranted } } }`;
    const calls = [];
    for (let round = 0; round < 4; round++) {
      for (const i of [0, 1]) calls.push(api.gql(toggle, { id: gid('Collective', collectives[i].id), g: round % 2 === 0 }, { token: tokens[i] }));
    }
    const results = await Promise.all(calls);
    expect(results.flatMap(codesOf)).toEqual([]);
    // The toggles commit in any order; whatever the collectives say at the end, every teen's
    // sessions must agree with it.
    const granted = (await db.prisma.collective.findMany({ where: { id: { in: collectives.map((c) => c.id) } } })).some((c) => c.parentalConsentGranted);
    const scopesNow = await db.prisma.appSession.findMany({ where: { userId: { in: teens.map((t) => t.id) } }, select: { scope: true } });
    expect(scopesNow).toHaveLength(16);
    expect(new Set(scopesNow.map((s) => s.scope))).toEqual(new Set([granted ? 'FULL' : 'PENDING_CONSENT']));
  });
});

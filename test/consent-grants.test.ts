// Granting and revoking parental consent, where the flows' tests stop short: what the revoke's
// payload still shows, a used code replayed after a revocation, which grants the code-attempt
// budget counts, and the code's canonical form. No mail server: a request's code is written the
// way the outbox writes it (its hash bound to the request). Kills mutants of src/consent/ and
// src/schema/consent/ that the flows let live (STRYKER_TESTS=consent).
import { describe, expect, it, vi } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { withTwinOnFirstInsert } from './helpers/db.ts';
import { codesOf, createTestApp, useTestApp } from './helpers/app.ts';
import { createCollective, createSession, gid, rawId } from './factories/index.ts';
import { CODE_LENGTH, consentCodeMatches, generateConsentCode, hashConsentCode, normalizeConsentCode } from '../src/consent/codes.ts';
import { checkConsentCode } from '../src/consent/grant-with-code.ts';

const GRANT = `mutation($t: ID!, $r: ID, $code: String) { grantParentalConsent(input: { teenagerId: $t, requestId: $r, code: $code }) { teenager { id } } }`;
const REVOKE = `mutation($t: ID!) { revokeParentalConsent(input: { teenagerId: $t }) { revoked teenagerId teenager { id hasConsented } } }`;

describe(`granting and revoking parental consent (${dbKind})`, () => {
  const api = useTestApp();

  async function teenWaiting() {
    const p = await api.person('TEENAGER', 'PENDING_CONSENT');
    return { ...p, gid: gid('User', p.user.id) };
  }
  /** An open request of `teen` whose mailed code is `code`, as the outbox leaves it. */
  async function openRequest(teenagerId: string, code = generateConsentCode(), parentContact = 'p@example.org') {
    const row = await api.prisma.parentalAuthorizationRequest.create({ data: { teenagerId, parentContact, codeExpiresAt: new Date(Date.now() + 3600_000) } });
    await api.prisma.parentalAuthorizationRequest.update({ where: { id: row.id }, data: { codeHash: hashConsentCode(row.id, code) } });
    return { id: gid('ParentalAuthorizationRequest', row.id), rowId: row.id, code };
  }
  const scopesOf = async (userId: string) => (await api.prisma.appSession.findMany({ where: { userId }, select: { scope: true } })).map((s) => s.scope);

  it('only a parent grants and only a teenager asks: each refusal says so and writes nothing', async () => {
    const teen = await api.person('TEENAGER', 'FULL');
    const other = await teenWaiting();
    const byTeen = await api.gql(GRANT, { t: other.gid }, { token: teen.token });
    expect(codesOf(byTeen)).toEqual(['FORBIDDEN']);
    expect(byTeen.errors![0].message).toBe('Only parents give parental consent');
    const parent = await api.person('PARENT');
    const asks = await api.gql('mutation { requestParentalAuthorization(input: { parentContact: "x@example.org" }) { authorizationRequest { id } } }', {}, { token: parent.token });
    expect(codesOf(asks)).toEqual(['FORBIDDEN']);
    expect(asks.errors![0].message).toBe('Only teenagers ask for parental consent');
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: other.user.id } })).toBe(0);
    expect(await api.prisma.parentalAuthorizationRequest.count({ where: { teenagerId: { in: [teen.user.id, parent.user.id] } } })).toBe(0);
  });

  it('consent is for teenagers only: an ADMIN granting it for a fellow parent member gets NOT_FOUND and writes nothing', async () => {
    const admin = await api.person('PARENT');
    const adult = await api.person('PARENT');
    await createCollective(api.prisma, [{ userId: adult.user.id, role: 'MEMBER' }, { userId: admin.user.id, role: 'ADMIN' }]);
    const adminToken = (await createSession(api.prisma, admin.user.id)).token;
    const r = await api.gql(GRANT, { t: gid('User', adult.user.id) }, { token: adminToken });
    expect(codesOf(r)).toEqual(['NOT_FOUND']);
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: adult.user.id } })).toBe(0);
    // The same ADMIN with a teenager in the collective does grant: the refusal is about the user type.
    const teen = await teenWaiting();
    await api.prisma.collectiveMembership.create({ data: { userId: teen.user.id, collectiveId: (await api.prisma.collectiveMembership.findFirstOrThrow({ where: { userId: admin.user.id } })).collectiveId, role: 'MEMBER' } });
    expect((await api.gql(GRANT, { t: teen.gid }, { token: adminToken })).errors).toBeUndefined();
    expect(await scopesOf(teen.user.id)).toEqual(['FULL']);
  });

  it('a teenager\'s list of requests is theirs alone: an ADMIN who sees the teenager is refused the list (it holds the parent\'s address)', async () => {
    const teen = await teenWaiting();
    const admin = await api.person('PARENT');
    await createCollective(api.prisma, [{ userId: teen.user.id, role: 'MEMBER' }, { userId: admin.user.id, role: 'ADMIN' }]);
    const adminToken = (await createSession(api.prisma, admin.user.id)).token;
    const request = await openRequest(teen.user.id);
    const LIST = 'query($id: ID!) { user(id: $id) { id authorizationRequests { id parentContact } } }';
    const own = await api.gql(LIST, { id: teen.gid }, { token: teen.token });
    expect(own.errors).toBeUndefined();
    expect(own.data.user.authorizationRequests).toEqual([{ id: request.id, parentContact: 'p@example.org' }]);
    const byAdmin = await api.gql(LIST, { id: teen.gid }, { token: adminToken });
    expect(codesOf(byAdmin)).toEqual(['FORBIDDEN']);
    expect(byAdmin.errors![0].path).toEqual(['user', 'authorizationRequests']);
    expect(JSON.stringify(byAdmin.data)).not.toContain('p@example.org');
  });

  it('a collective that does not grant consent keeps no one FULL: revoking the only consent sends the teenager back to PENDING_CONSENT', async () => {
    const teen = await teenWaiting();
    const parent = await api.person('PARENT');
    await createCollective(api.prisma, [{ userId: teen.user.id, role: 'MEMBER' }, { userId: parent.user.id, role: 'OWNER' }], { parentalConsentGranted: false });
    expect((await api.gql(GRANT, { t: teen.gid }, { token: (await createSession(api.prisma, parent.user.id)).token })).errors).toBeUndefined();
    expect(await scopesOf(teen.user.id)).toEqual(['FULL']);
    expect((await api.gql(REVOKE, { t: teen.gid }, { token: parent.token })).data.revokeParentalConsent.revoked).toBe(true);
    expect(await scopesOf(teen.user.id)).toEqual(['PENDING_CONSENT']);
  });

  it('after revoking, the payload shows the teenager only to a parent who can still see them (a manager), else null', async () => {
    const teen = await teenWaiting();
    const parent = await api.person('PARENT');
    const admin = await api.person('PARENT');
    await createCollective(api.prisma, [{ userId: teen.user.id, role: 'MEMBER' }, { userId: admin.user.id, role: 'ADMIN' }]);
    const adminToken = (await createSession(api.prisma, admin.user.id)).token;
    for (const p of [parent, admin]) await api.prisma.parentalConsent.create({ data: { parentId: p.user.id, teenagerId: teen.user.id } });
    const parentToken = (await createSession(api.prisma, parent.user.id)).token;
    // Before: the consenting parent sees the teenager.
    expect((await api.gql('query($id: ID!) { user(id: $id) { id } }', { id: teen.gid }, { token: parentToken })).data.user).toEqual({ id: teen.gid });

    const byParent = await api.gql(REVOKE, { t: teen.gid }, { token: parentToken });
    expect(byParent.errors).toBeUndefined();
    expect(byParent.data.revokeParentalConsent).toEqual({ revoked: true, teenagerId: teen.gid, teenager: null });
    const byAdmin = await api.gql(REVOKE, { t: teen.gid }, { token: adminToken });
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data.revokeParentalConsent).toEqual({ revoked: true, teenagerId: teen.gid, teenager: { id: teen.gid, hasConsented: true } });
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: teen.user.id } })).toBe(0);
    // A stranger revoking (nothing of theirs): revoked false, and still no sight of the teenager.
    const stranger = await api.person('PARENT');
    expect((await api.gql(REVOKE, { t: teen.gid }, { token: stranger.token })).data.revokeParentalConsent).toEqual({ revoked: false, teenagerId: teen.gid, teenager: null });
    // A missing user: the same answer.
    const missing = gid('User', '00000000-0000-4000-8000-000000000000');
    expect((await api.gql(REVOKE, { t: missing }, { token: stranger.token })).data.revokeParentalConsent).toEqual({ revoked: false, teenagerId: missing, teenager: null });
  });

  it('a used code does not grant again: the parent who granted with it, then revoked, replays it and gets NOT_FOUND', async () => {
    const teen = await teenWaiting();
    const parent = await api.person('PARENT');
    const request = await openRequest(teen.user.id);
    expect((await api.gql(GRANT, { t: teen.gid, r: request.id, code: request.code }, { token: parent.token })).errors).toBeUndefined();
    expect(await scopesOf(teen.user.id)).toEqual(['FULL']);
    expect((await api.gql(REVOKE, { t: teen.gid }, { token: parent.token })).data.revokeParentalConsent.revoked).toBe(true);
    expect(await scopesOf(teen.user.id)).toEqual(['PENDING_CONSENT']);

    // The request is GRANTED and names this parent: it is found, but answers no more.
    const replay = await api.gql(GRANT, { t: teen.gid, r: request.id, code: request.code }, { token: parent.token });
    expect(codesOf(replay)).toEqual(['NOT_FOUND']);
    expect(replay.data ?? null).toBeNull();
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: teen.user.id } })).toBe(0);
    expect(await api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id: request.rowId } })).toMatchObject({ status: 'GRANTED', parentId: parent.user.id, failedAttempts: 0 });
    expect(await scopesOf(teen.user.id)).toEqual(['PENDING_CONSENT']);
  });

  it('each refusal of a code grant says what happened and what to do next, and grants nothing', async () => {
    const teen = await teenWaiting();
    const parent = await api.person('PARENT');
    const grant = (r: { id: string }, code?: string) => api.gql(GRANT, { t: teen.gid, r: r.id, code }, { token: parent.token });
    const request = await openRequest(teen.user.id);
    const noCode = await grant(request);
    expect(codesOf(noCode)).toEqual(['BAD_USER_INPUT']);
    expect(noCode.errors![0].message).toBe('input.code: the code from the mail sent to the parent is required');
    expect(noCode.errors![0].extensions!.issues).toEqual([{ path: 'input.code', message: 'required with requestId' }]);
    const wrong = await grant(request, 'ZZZZZ-ZZZZZ');
    expect(codesOf(wrong)).toEqual(['CONSENT_CODE_INVALID']);
    expect(wrong.errors![0].message).toBe('That is not the code mailed for this request');
    expect(wrong.errors![0].extensions!.attemptsLeft).toBe(4);
    for (let i = 0; i < 3; i++) await grant(request, 'ZZZZZ-ZZZZZ');
    const locked = await grant(request, 'ZZZZZ-ZZZZZ');
    expect(codesOf(locked)).toEqual(['CONSENT_REQUEST_LOCKED']);
    expect(locked.errors![0].message).toBe('Too many wrong codes: this request is locked. The teenager can ask again for a new code.');
    expect(locked.errors![0].extensions!.nextStep).toBe('REQUEST_AGAIN');
    const stale = await openRequest(teen.user.id);
    await api.prisma.parentalAuthorizationRequest.update({ where: { id: stale.rowId }, data: { codeExpiresAt: new Date(Date.now() - 1) } });
    const expired = await grant(stale, stale.code);
    expect(codesOf(expired)).toEqual(['CONSENT_CODE_EXPIRED']);
    expect(expired.errors![0].message).toBe('This code has expired. The teenager can ask again for a new code.');
    expect(expired.errors![0].extensions!.nextStep).toBe('REQUEST_AGAIN');
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: teen.user.id } })).toBe(0);
    expect(await scopesOf(teen.user.id)).toEqual(['PENDING_CONSENT']);
  });

  it('a code grant answers every open request of the teenager, by this parent at this instant, and no one else\'s; the payload shows the teenager', async () => {
    const teen = await teenWaiting();
    const other = await teenWaiting();
    const parent = await api.person('PARENT');
    const request = await openRequest(teen.user.id);
    const second = await openRequest(teen.user.id, generateConsentCode(), 'second@example.org');
    const closed = await openRequest(teen.user.id, generateConsentCode(), 'closed@example.org');
    await api.prisma.parentalAuthorizationRequest.update({ where: { id: closed.rowId }, data: { status: 'LOCKED' } });
    const othersRequest = await openRequest(other.user.id);
    const r = await api.gql(GRANT, { t: teen.gid, r: request.id, code: request.code }, { token: parent.token, remoteAddress: '198.51.100.7' });
    expect(r.errors).toBeUndefined();
    // The consent just given lets this parent (no collective shared) see the teenager.
    expect(r.data.grantParentalConsent).toEqual({ teenager: { id: teen.gid } });
    const consent = await api.prisma.parentalConsent.findFirstOrThrow({ where: { teenagerId: teen.user.id } });
    expect(consent).toMatchObject({ parentId: parent.user.id, consentIp: '198.51.100.7' });
    const row = (id: string) => api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id }, select: { status: true, parentId: true, resolvedAt: true } });
    const answered = await row(request.rowId);
    expect(answered).toMatchObject({ status: 'GRANTED', parentId: parent.user.id });
    expect(answered.resolvedAt).toBeInstanceOf(Date);
    expect(await row(second.rowId)).toEqual(answered);
    expect(await row(closed.rowId)).toEqual({ status: 'LOCKED', parentId: null, resolvedAt: null });
    expect(await row(othersRequest.rowId)).toEqual({ status: 'PENDING', parentId: null, resolvedAt: null });
    expect(await scopesOf(other.user.id)).toEqual(['PENDING_CONSENT']);
  });

  it('the code-attempt budget counts grants that carry a request, not a manager\'s direct grants', async () => {
    const strict = createTestApp(api.db, { RATE_LIMIT_CONSENT_CODE_PER_USER: '1' });
    const teen = await teenWaiting();
    const admin = await api.person('PARENT');
    await createCollective(api.prisma, [{ userId: teen.user.id, role: 'MEMBER' }, { userId: admin.user.id, role: 'ADMIN' }]);
    for (let i = 0; i < 3; i++) expect((await strict.gql(GRANT, { t: teen.gid }, { token: admin.token })).errors, `direct grant ${i}`).toBeUndefined();

    const other = await teenWaiting();
    const request = await openRequest(other.user.id);
    const guesser = await api.person('PARENT');
    expect(codesOf(await strict.gql(GRANT, { t: other.gid, r: request.id, code: 'ZZZZZ-ZZZZZ' }, { token: guesser.token }))).toEqual(['CONSENT_CODE_INVALID']);
    expect(codesOf(await strict.gql(GRANT, { t: other.gid, r: request.id, code: request.code }, { token: guesser.token }))).toEqual(['RATE_LIMITED']);
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: other.user.id } })).toBe(0);
  });
});

describe(`a teenager's requests and a code's expiry, to the instant (${dbKind})`, () => {
  const api = useTestApp();
  const REQUEST = `mutation($c: String!) { requestParentalAuthorization(input: { parentContact: $c }) { authorizationRequest { id } } }`;
  const ask = (token: string, contact: string) => api.gql(REQUEST, { c: contact }, { token });
  /** The request's row from a request answer. */
  const rowOf = (r: { data: any }) => api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id: rawId(r.data.requestParentalAuthorization.authorizationRequest.id) } });

  it('a fourth open request is CONFLICT with its message, decided in one transaction (never run again), and creates nothing', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    for (const n of [1, 2, 3]) expect((await ask(teen.token, `parent-${n}@example.org`)).errors, `request ${n}`).toBeUndefined();
    const fourth = await ask(teen.token, 'parent-4@example.org');
    expect(codesOf(fourth)).toEqual(['CONFLICT']);
    expect(fourth.errors![0].message).toBe('You already have 3 open requests: wait for an answer, or until a code expires');
    expect(fourth.errors![0].extensions!.reason).toBe('TOO_MANY_OPEN_REQUESTS');
    // The count of open requests is read once: a refusal is no race lost to a twin, nothing to retry.
    const counts = fourth.sqlLog.filter((sql) => /SELECT COUNT\(\*\).*FROM "app"\."parental_authorization_request"/s.test(sql));
    expect(counts, fourth.sqlLog.join('\n')).toHaveLength(1);
    expect(await api.prisma.parentalAuthorizationRequest.count({ where: { teenagerId: teen.user.id } })).toBe(3);
  });

  it('a twin that wins the one-open-request index first: the request runs again and answers the twin\'s row (one open request)', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    // The twin: the first insert of a request also inserts its copy, as a concurrent request
    // committing first would.
    const r = await withTwinOnFirstInsert(api.db, 'parental_authorization_request', () => ask(teen.token, 'twin@example.org'));
    expect(r.errors).toBeUndefined();
    // The first run's insert collided and rolled back whole (its twin too); the second created the one row.
    expect(r.sqlLog.filter((sql) => /^\s*INSERT INTO "app"\."parental_authorization_request"/.test(sql))).toHaveLength(2);
    const rows = await api.prisma.parentalAuthorizationRequest.findMany({ where: { teenagerId: teen.user.id } });
    expect(rows.map((x) => [gid('ParentalAuthorizationRequest', x.id), x.status, x.parentContact])).toEqual([[r.data.requestParentalAuthorization.authorizationRequest.id, 'PENDING', 'twin@example.org']]);
  });

  it('asking again answers the open request until the instant its code expires; at that instant it is replaced', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    const first = await ask(teen.token, 'mum@example.org');
    expect(first.errors).toBeUndefined();
    const row = await rowOf(first);
    const expiresAt = new Date(Date.now() + 600_000);
    await api.prisma.parentalAuthorizationRequest.update({ where: { id: row.id }, data: { codeExpiresAt: expiresAt } });
    // Only Date is faked: the request's instant (ctx.requestTime) is the one set here.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date(expiresAt.getTime() - 1));
      const before = await ask(teen.token, 'mum@example.org');
      expect(before.data.requestParentalAuthorization.authorizationRequest.id).toBe(first.data.requestParentalAuthorization.authorizationRequest.id);
      expect((await api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('PENDING');
      vi.setSystemTime(expiresAt);
      const at = await ask(teen.token, 'mum@example.org');
      expect(at.errors).toBeUndefined();
      expect(at.data.requestParentalAuthorization.authorizationRequest.id).not.toBe(first.data.requestParentalAuthorization.authorizationRequest.id);
    } finally {
      vi.useRealTimers();
    }
    expect(await api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'EXPIRED', resolvedAt: expiresAt });
    expect(await api.prisma.parentalAuthorizationRequest.count({ where: { teenagerId: teen.user.id, status: 'PENDING' } })).toBe(1);
  });

  it('a code works until the instant before its expiry and not at it: then the request turns EXPIRED', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    const parent = await api.person('PARENT');
    const code = generateConsentCode();
    const expiresAt = new Date(Date.now() + 600_000);
    const open = async () => {
      const row = await api.prisma.parentalAuthorizationRequest.create({ data: { teenagerId: teen.user.id, parentContact: `p-${Math.random()}@example.org`, codeExpiresAt: expiresAt } });
      await api.prisma.parentalAuthorizationRequest.update({ where: { id: row.id }, data: { codeHash: hashConsentCode(row.id, code) } });
      return row.id;
    };
    const check = (requestId: string, now: Date) => api.prisma.$transaction((tx) => checkConsentCode(tx, { requestId, teenagerId: teen.user.id, parentId: parent.user.id, code, now }));
    const live = await open();
    expect(await check(live, new Date(expiresAt.getTime() - 1))).toEqual({ outcome: 'valid' });
    expect((await api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id: live } })).status).toBe('PENDING');
    const ended = await open();
    expect(await check(ended, expiresAt)).toEqual({ outcome: 'expired' });
    expect(await api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id: ended } })).toMatchObject({ status: 'EXPIRED', resolvedAt: expiresAt, failedAttempts: 0 });
  });
});

describe(`a collective's parental consent: who may set it, and a repeat that writes nothing (${dbKind})`, () => {
  const api = useTestApp();
  const SET = `mutation($c: ID!, $g: Boolean!) { setCollectiveParentalConsent(input: { collectiveId: $c, granted: $g }) { collective { parentalConsentGranted } session { scope } } }`;

  it('an ADMIN is told only an owner may; a teenage OWNER may withdraw it but is told only a parent grants', async () => {
    const parent = await api.person('PARENT');
    const admin = await api.person('PARENT');
    const teenOwner = await api.person('TEENAGER', 'PENDING_CONSENT');
    const kid = await api.person('TEENAGER', 'PENDING_CONSENT');
    const c = await createCollective(api.prisma, [{ userId: parent.user.id, role: 'OWNER' }, { userId: admin.user.id, role: 'ADMIN' }, { userId: teenOwner.user.id, role: 'OWNER' }, { userId: kid.user.id, role: 'MEMBER' }], { parentalConsentGranted: true });
    // The teenage owner is FULL through the collective itself.
    const teenToken = (await createSession(api.prisma, teenOwner.user.id, 'FULL')).token;
    const C = gid('Collective', c.id);
    const byAdmin = await api.gql(SET, { c: C, g: false }, { token: admin.token });
    expect(codesOf(byAdmin)).toEqual(['FORBIDDEN']);
    expect(byAdmin.errors![0].message).toBe('Only an owner can change the parental consent of a collective');
    const withdrawn = await api.gql(SET, { c: C, g: false }, { token: teenToken });
    expect(withdrawn.errors).toBeUndefined();
    // Withdrawing it ends the teenage owner's own FULL too: the payload's session says so.
    expect(withdrawn.data.setCollectiveParentalConsent).toEqual({ collective: { parentalConsentGranted: false }, session: { scope: 'PENDING_CONSENT' } });
    const regrant = await api.gql(SET, { c: C, g: true }, { token: teenToken });
    expect(codesOf(regrant)).toEqual(['CONSENT_REQUIRED']);
    await api.prisma.appSession.updateMany({ where: { userId: teenOwner.user.id }, data: { scope: 'FULL' } });
    const byTeen = await api.gql(SET, { c: C, g: true }, { token: teenToken });
    expect(codesOf(byTeen)).toEqual(['FORBIDDEN']);
    expect(byTeen.errors![0].message).toBe('Only a parent can grant parental consent');
    expect((await api.prisma.collective.findUniqueOrThrow({ where: { id: c.id } })).parentalConsentGranted).toBe(false);
    expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: kid.session.id } })).scope).toBe('PENDING_CONSENT');
  });

  it('a teenage owner who withdraws the consent that made them FULL is refused FULL for the rest of the same mutation', async () => {
    const parent = await api.person('PARENT');
    // FULL only through the collective's consent.
    const teen = await api.person('TEENAGER', 'FULL');
    const c = await createCollective(api.prisma, [{ userId: parent.user.id, role: 'OWNER' }, { userId: teen.user.id, role: 'MEMBER' }], { parentalConsentGranted: true });
    const C = gid('Collective', c.id);
    // How a teenager comes to own a collective: an owner names any member OWNER.
    const membership = await api.prisma.collectiveMembership.findFirstOrThrow({ where: { userId: teen.user.id, collectiveId: c.id } });
    const promoted = await api.gql(`mutation($m: ID!) { updateMemberRole(input: { membershipId: $m, role: OWNER }) { membership { role } } }`, { m: gid('CollectiveMembership', membership.id) }, { token: parent.token });
    expect(promoted.data).toEqual({ updateMemberRole: { membership: { role: 'OWNER' } } });
    const r = await api.gql(
      `mutation($c: ID!) {
        a: setCollectiveParentalConsent(input: { collectiveId: $c, granted: false }) { session { scope } }
        b: createCollective(input: { name: "after the withdrawal", type: FAMILY }) { collective { id } }
      }`,
      { c: C },
      { token: teen.token },
    );
    // The second field is refused as the next request would be; its error nulls the (non-null) data.
    expect(codesOf(r)).toEqual(['CONSENT_REQUIRED']);
    expect(r.errors![0].path).toEqual(['b']);
    expect(r.errors![0].extensions).toMatchObject({ requiredScope: 'FULL', currentScope: 'PENDING_CONSENT', nextStep: 'PARENTAL_CONSENT' });
    // The first field committed; the second wrote nothing.
    expect((await api.prisma.collective.findUniqueOrThrow({ where: { id: c.id } })).parentalConsentGranted).toBe(false);
    expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: teen.session.id } })).scope).toBe('PENDING_CONSENT');
    expect(await api.prisma.collective.count({ where: { name: 'after the withdrawal' } })).toBe(0);
  });

  it('setting the value it already has writes nothing: no update of the collective, no session locked or moved', async () => {
    const parent = await api.person('PARENT');
    const kid = await api.person('TEENAGER', 'PENDING_CONSENT');
    const c = await createCollective(api.prisma, [{ userId: parent.user.id, role: 'OWNER' }, { userId: kid.user.id, role: 'MEMBER' }]);
    const C = gid('Collective', c.id);
    const first = await api.gql(SET, { c: C, g: true }, { token: parent.token });
    expect(first.errors).toBeUndefined();
    expect(first.sqlLog.filter((sql) => /^\s*UPDATE "app"\."collective"/.test(sql))).toHaveLength(1);
    const again = await api.gql(SET, { c: C, g: true }, { token: parent.token });
    expect(again.errors).toBeUndefined();
    expect(again.data.setCollectiveParentalConsent).toEqual({ collective: { parentalConsentGranted: true }, session: { scope: 'FULL' } });
    expect(again.sqlLog.filter((sql) => /UPDATE "app"\."collective"|app_session .*FOR UPDATE|UPDATE "app"\."app_session"/.test(sql)), again.sqlLog.join('\n')).toEqual([]);
    expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: kid.session.id } })).scope).toBe('FULL');
  });
});

describe('consent codes, as typed', () => {
  it('a code is 10 characters of Crockford base32 shown as XXXXX-XXXXX, and canonical once its hyphen is dropped', () => {
    for (let i = 0; i < 20; i++) {
      const code = generateConsentCode();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
      expect(normalizeConsentCode(code)).toBe(code.replace('-', ''));
    }
    expect(CODE_LENGTH).toBe(10);
  });

  it('typing is forgiven: case, spaces, hyphens, and O for 0, I and L for 1; anything else is no code', () => {
    expect(normalizeConsentCode('o1IlL-abcde')).toBe('01111ABCDE');
    expect(normalizeConsentCode(' 0o0o0\t-\n o0o0o ')).toBe('0000000000');
    expect(normalizeConsentCode('ab-cd-ef-gh-jk')).toBe('ABCDEFGHJK');
    for (const bad of ['', 'ABCDE-FGHJ', 'ABCDE-FGHJKM', 'ABCDE-FGHJU', 'ABCDE_FGHJK', 'ABCDE-FGHJ!', 'ÀBCDE-FGHJK']) expect(normalizeConsentCode(bad), bad).toBeNull();
  });

  it('a hash binds the canonical code to its request: any typing of the code matches, another request\'s hash never does', () => {
    const code = 'ABCDE-0111Z';
    const stored = hashConsentCode('req-1', code);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(hashConsentCode('req-1', 'abcde oIlLz')).toBe(stored);
    expect(hashConsentCode('req-2', code)).not.toBe(stored);
    expect(consentCodeMatches('req-1', 'abcdeoilLZ', [null, stored])).toBe(true);
    expect(consentCodeMatches('req-1', code, [stored, null])).toBe(true);
    expect(consentCodeMatches('req-2', code, [stored])).toBe(false);
    expect(consentCodeMatches('req-1', 'ABCDE-0111Y', [stored])).toBe(false);
    expect(consentCodeMatches('req-1', code, [])).toBe(false);
    expect(consentCodeMatches('req-1', code, [null])).toBe(false);
    // A stored value of another length (a truncated column) is no match, and no crash.
    expect(consentCodeMatches('req-1', code, [stored.slice(0, 32)])).toBe(false);
    expect(consentCodeMatches('req-1', 'not a code', [stored])).toBe(false);
  });
});

import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processNotificationOutbox, startNotificationWorker } from '../src/notifications/outbox.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp, useTestApp } from './helpers/app.ts';
import { createApiKey, createCollective, createSession, createUser, gid, rawId } from './factories/index.ts';
import { AcceptTermsDocument, SignInDocument } from '../src/client/generated/graphql.ts';
import { codeIn, startSmtpServer, type SmtpTestServer } from './helpers/smtp.ts';

const SIGN_IN = SignInDocument;
const ACCEPT = AcceptTermsDocument;
const REQUEST = `mutation($c: String!) { requestParentalAuthorization(input: { parentContact: $c }) { authorizationRequest { id status parentContact } } }`;
const GRANT = `mutation($t: ID!, $r: ID, $code: String) { grantParentalConsent(input: { teenagerId: $t, requestId: $r, code: $code }) { teenager { id } parentalConsent { createdAt parent { id } } } }`;
const REVOKE = `mutation($t: ID!) { revokeParentalConsent(input: { teenagerId: $t }) { revoked teenagerId } }`;

describe(`consent pipeline (${dbKind})`, () => {
  let smtp: SmtpTestServer;
  const api = useTestApp(async () => {
    smtp = await startSmtpServer();
    return { env: { SMTP_URL: smtp.url } };
  });
  afterAll(() => smtp?.close());

  async function signIn(loginId: string, userType: 'TEENAGER' | 'PARENT' = 'TEENAGER') {
    const r = await api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId, origin: 'web_react', userType } });
    expect(r.errors).toBeUndefined();
    return { token: r.data!.signIn.token, userId: r.data!.signIn.user.id, rawId: rawId(r.data!.signIn.user.id) };
  }
  const scopes = async (rawUserId: string) =>
    (await api.prisma.appSession.findMany({ where: { userId: rawUserId, expiresAt: { gt: new Date() } } })).map((s) => s.scope);

  it('teen: ONBOARDING, then PENDING_CONSENT after the terms, then FULL on every live session when a parent consents; revocation moves them back', async () => {
    const teen = await signIn('teen-a');
    const second = await signIn('teen-a'); // a second device
    const gated = await api.gql(REQUEST, { c: 'maman@example.org' }, { token: teen.token });
    expect(codesOf(gated)).toEqual(['CONSENT_REQUIRED']);
    expect(gated.errors![0].extensions).toMatchObject({ requiredScope: 'PENDING_CONSENT', currentScope: 'ONBOARDING', nextStep: 'ACCEPT_TERMS' });

    const accepted = await api.gql(ACCEPT, {}, { token: teen.token, remoteAddress: '203.0.113.9' });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.acceptTerms.session!.scope).toBe('PENDING_CONSENT');
    expect(accepted.data!.acceptTerms.user.hasConsented).toBe(true);
    expect(await scopes(teen.rawId)).toEqual(['PENDING_CONSENT', 'PENDING_CONSENT']);
    expect((await api.prisma.userConsent.findFirstOrThrow({ where: { userId: teen.rawId } })).consentIp).toBe('203.0.113.9');

    const req = await api.gql(REQUEST, { c: ' Maman@Example.org ' }, { token: second.token });
    expect(req.errors).toBeUndefined();
    const again = await api.gql(REQUEST, { c: 'maman@example.org' }, { token: teen.token });
    expect(again.data.requestParentalAuthorization.authorizationRequest.id).toBe(req.data.requestParentalAuthorization.authorizationRequest.id);
    expect(req.data.requestParentalAuthorization.authorizationRequest.parentContact).toBe('maman@example.org');

    const parent = await signIn('parent-a', 'PARENT');
    expect((await api.gql(ACCEPT, {}, { token: parent.token })).data!.acceptTerms.session!.scope).toBe('FULL');
    const [mail] = smtp.to('maman@example.org');
    const granted = await api.gql(GRANT, { t: teen.userId, r: req.data.requestParentalAuthorization.authorizationRequest.id, code: codeIn(mail) }, { token: parent.token });
    expect(granted.errors).toBeUndefined();
    expect(granted.data.grantParentalConsent.teenager.id).toBe(teen.userId);
    expect(await scopes(teen.rawId)).toEqual(['FULL', 'FULL']);
    const request = await api.prisma.parentalAuthorizationRequest.findFirstOrThrow({ where: { teenagerId: teen.rawId } });
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
    await createCollective(api.prisma, [{ userId: parent.rawId, role: 'OWNER' }, { userId: teen.rawId, role: 'MEMBER' }], { parentalConsentGranted: true });
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
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: teen.rawId } })).toBe(0);
  });

  it('only parents consent, only teenagers request', async () => {
    const teen = await signIn('teen-d');
    await api.gql(ACCEPT, {}, { token: teen.token });
    await api.prisma.appSession.updateMany({ where: { userId: teen.rawId }, data: { scope: 'FULL' } });
    expect(codesOf(await api.gql(GRANT, { t: teen.userId }, { token: teen.token }))).toEqual(['FORBIDDEN']);
    const parent = await signIn('parent-d', 'PARENT');
    await api.gql(ACCEPT, {}, { token: parent.token });
    expect(codesOf(await api.gql(REQUEST, { c: 'x@example.org' }, { token: parent.token }))).toEqual(['FORBIDDEN']);
  });

  it('concurrent requests to one contact leave one open request', async () => {
    const teen = await signIn('teen-e');
    await api.gql(ACCEPT, {}, { token: teen.token });
    const results = await Promise.all(Array.from({ length: 6 }, () => api.gql(REQUEST, { c: 'papa.e@example.org' }, { token: teen.token })));
    expect(results.flatMap(codesOf)).toEqual([]);
    expect(await api.prisma.parentalAuthorizationRequest.count({ where: { teenagerId: teen.rawId } })).toBe(1);
    // One request, one mail.
    expect(smtp.to('papa.e@example.org')).toHaveLength(1);
  });

  it('rejects bad input with BAD_USER_INPUT', async () => {
    const teen = await signIn('teen-f');
    expect(codesOf(await api.gql(`mutation { acceptTerms(input: { accepted: false }) { user { id } } }`, {}, { token: teen.token }))).toEqual(['BAD_USER_INPUT']);
    expect(await api.prisma.userConsent.count({ where: { userId: teen.rawId } })).toBe(0);
    await api.gql(ACCEPT, {}, { token: teen.token });
    // The code is mailed: a phone number, junk, a NUL byte or a huge string is refused, and nothing is written.
    for (const c of ['not a contact', '+33 6 12 34 56 78', 'a\u0000b@example.org', `${'x'.repeat(300)}@example.org`]) {
      expect(codesOf(await api.gql(REQUEST, { c }, { token: teen.token })), c).toEqual(['BAD_USER_INPUT']);
    }
    expect(await api.prisma.parentalAuthorizationRequest.count({ where: { teenagerId: teen.rawId } })).toBe(0);
  });

  it('the consent address is the socket peer; X-Forwarded-For counts only behind a trusted proxy', async () => {
    const direct = await signIn('teen-g');
    await api.gql(ACCEPT, {}, { token: direct.token, remoteAddress: '198.51.100.4', headers: { 'x-forwarded-for': '192.0.2.1' } });
    expect((await api.prisma.userConsent.findFirstOrThrow({ where: { userId: direct.rawId } })).consentIp).toBe('198.51.100.4');
    const proxied = createTestApp(api.db, { TRUST_PROXY: 'true' });
    const viaProxy = await signIn('teen-h');
    await proxied.gql(ACCEPT, {}, { token: viaProxy.token, remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': '192.0.2.1, 10.0.0.2' } });
    expect((await api.prisma.userConsent.findFirstOrThrow({ where: { userId: viaProxy.rawId } })).consentIp).toBe('192.0.2.1');
  });
});

describe(`sign-out (${dbKind})`, () => {
  const api = useTestApp();

  it('signOut ends this session at once; signOutEverywhere ends the others, or all', async () => {
    const user = await createUser(api.prisma);
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createSession(api.prisma, user.id)));
    const out = await api.gql(`mutation { signOut { endedSessionIds session { id } } }`, {}, { token: a.token });
    expect(out.errors).toBeUndefined();
    expect(out.data.signOut.session).toBeNull();
    expect(codesOf(await api.gql('{ me { id } }', {}, { token: a.token }))).toEqual(['UNAUTHENTICATED']);

    const keep = await api.gql(`mutation { signOutEverywhere(input: { keepCurrent: true }) { endedSessionIds session { current } } }`, {}, { token: b.token });
    expect(keep.data.signOutEverywhere.endedSessionIds).toEqual([gid('AppSession', c.session.id)]);
    expect(keep.data.signOutEverywhere.session.current).toBe(true);
    expect(codesOf(await api.gql('{ me { id } }', {}, { token: c.token }))).toEqual(['UNAUTHENTICATED']);
    expect((await api.gql('{ me { id } }', {}, { token: b.token })).errors).toBeUndefined();

    await api.gql(`mutation { signOutEverywhere { endedSessionIds } }`, {}, { token: b.token });
    expect(codesOf(await api.gql('{ me { id } }', {}, { token: b.token }))).toEqual(['UNAUTHENTICATED']);
  });

  it("cannot end someone else's session", async () => {
    const [u1, u2] = await Promise.all([createUser(api.prisma), createUser(api.prisma)]);
    const s1 = await createSession(api.prisma, u1.id);
    const s2 = await createSession(api.prisma, u2.id);
    const r = await api.gql(`mutation($id: ID!) { signOut(input: { sessionId: $id }) { endedSessionIds } }`, { id: gid('AppSession', s2.session.id) }, { token: s1.token });
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

describe(`verifiable parental consent: a code mailed to the parent (${dbKind})`, () => {
  let smtp: SmtpTestServer;
  const logLines: string[] = [];
  const api = useTestApp(async () => {
    smtp = await startSmtpServer();
    // Every log line at every level, to show that no code is ever written there.
    const log = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
    return { poolMax: 20, env: { SMTP_URL: smtp.url, MAIL_FROM: 'Compagnon <consent@example.org>', OUTBOX_RETRY_INTERVAL_MS: '10' }, deps: { log } };
  });
  afterAll(() => smtp?.close());

  let n = 0;
  /** A teenager in PENDING_CONSENT, and a fresh parent e-mail address. */
  async function teenWaiting(language: string | null = 'fr') {
    n++;
    const user = await api.prisma.user.create({ data: { userType: 'TEENAGER', language } });
    await api.prisma.userConsent.create({ data: { userId: user.id } });
    const { token } = await createSession(api.prisma, user.id, 'PENDING_CONSENT');
    return { user, token, gid: gid('User', user.id), contact: `parent-${n}-${user.id.slice(0, 6)}@example.org` };
  }
  async function parentAccount() {
    const user = await createUser(api.prisma, { userType: 'PARENT' });
    await api.prisma.userConsent.create({ data: { userId: user.id } });
    return { user, token: (await createSession(api.prisma, user.id, 'FULL')).token };
  }
  async function ask(teen: { token: string }, contact: string, language?: string) {
    const r = await api.gql(
      `mutation($c: String!, $l: LanguageCode) { requestParentalAuthorization(input: { parentContact: $c, language: $l }) { authorizationRequest { id status } } }`,
      { c: contact, l: language },
      { token: teen.token },
    );
    expect(r.errors).toBeUndefined();
    return r.data.requestParentalAuthorization.authorizationRequest.id as string;
  }
  const grant = (as: { token: string }, teen: { gid: string }, requestId: string | null, code?: string) => api.gql(GRANT, { t: teen.gid, r: requestId, code }, { token: as.token });
  const teenScopes = async (userId: string) => (await api.prisma.appSession.findMany({ where: { userId } })).map((s) => s.scope);
  const requestRow = (requestId: string) => api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id: rawId(requestId) } });

  it('the request id alone (a second account of the teenager) is refused; the recipient of the mail grants with its code', async () => {
    const teen = await teenWaiting();
    const requestId = await ask(teen, teen.contact);
    const [mail] = smtp.to(teen.contact);
    expect(mail.subject).toBe('Accord parental demandé pour votre enfant');
    expect(mail.headers).toMatch(/^From: Compagnon <consent@example\.org>/m);
    expect(mail.text).toContain(`/consent?request=${encodeURIComponent(requestId)}&teenager=${encodeURIComponent(teen.gid)}`);
    const code = codeIn(mail);

    // The teenager's own "parent" account, holding the request id (the teenager has it), but not the mail.
    const fake = await parentAccount();
    expect(codesOf(await grant(fake, teen, requestId))).toEqual(['BAD_USER_INPUT']);
    const wrong = await grant(fake, teen, requestId, 'AAAAA-AAAAA');
    expect(codesOf(wrong)).toEqual(['CONSENT_CODE_INVALID']);
    expect(wrong.errors![0].extensions!.attemptsLeft).toBe(4);
    expect(codesOf(await grant(fake, teen, null, code))).toEqual(['NOT_FOUND']);
    expect(await teenScopes(teen.user.id)).toEqual(['PENDING_CONSENT']);
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: teen.user.id } })).toBe(0);

    // The real recipient, typing the code loosely (lower case, spaces): granted.
    const parent = await parentAccount();
    const ok = await grant(parent, teen, requestId, ` ${code.toLowerCase().replace('-', ' ')} `);
    expect(ok.errors).toBeUndefined();
    expect(ok.data.grantParentalConsent.parentalConsent.parent.id).toBe(gid('User', parent.user.id));
    expect(await teenScopes(teen.user.id)).toEqual(['FULL']);
    expect(await requestRow(requestId)).toMatchObject({ status: 'GRANTED', parentId: parent.user.id, failedAttempts: 1 });
    // Used once: the code does not serve a second parent.
    expect(codesOf(await grant(fake, teen, requestId, code))).toEqual(['NOT_FOUND']);

    // Only the hash is stored, the outbox holds nothing, and no log line carries the code.
    const row = await requestRow(requestId);
    expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify([await api.prisma.parentalAuthorizationRequest.findMany(), await api.prisma.notificationOutbox.findMany(), await api.prisma.mailboxMessage.findMany()]);
    expect(dump).not.toContain(code);
    expect(dump).not.toContain(code.replace('-', ''));
    expect(await api.prisma.notificationOutbox.count()).toBe(0);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(code);
    expect(logLines.join('\n')).not.toContain(code.replace('-', ''));
  });

  it('five wrong codes lock the request (CONSENT_REQUEST_LOCKED), even for the right code then; the teenager asks again and a new code works', async () => {
    const teen = await teenWaiting();
    const requestId = await ask(teen, teen.contact);
    const code = codeIn(smtp.to(teen.contact)[0]);
    const guesser = await parentAccount();
    for (let left = 4; left >= 1; left--) {
      const r = await grant(guesser, teen, requestId, 'ZZZZZ-ZZZZZ');
      expect(codesOf(r)).toEqual(['CONSENT_CODE_INVALID']);
      expect(r.errors![0].extensions!.attemptsLeft).toBe(left);
    }
    const fifth = await grant(guesser, teen, requestId, '00000-00000');
    expect(codesOf(fifth)).toEqual(['CONSENT_REQUEST_LOCKED']);
    expect(fifth.errors![0].extensions!.nextStep).toBe('REQUEST_AGAIN');
    const parent = await parentAccount();
    expect(codesOf(await grant(parent, teen, requestId, code))).toEqual(['CONSENT_REQUEST_LOCKED']);
    expect(await requestRow(requestId)).toMatchObject({ status: 'LOCKED', failedAttempts: 5 });
    expect(await teenScopes(teen.user.id)).toEqual(['PENDING_CONSENT']);

    const again = await ask(teen, teen.contact);
    expect(again).not.toBe(requestId);
    const mails = smtp.to(teen.contact);
    expect(mails).toHaveLength(2);
    const fresh = codeIn(mails[1]);
    expect(fresh).not.toBe(code);
    // The old code does not open the new request.
    expect(codesOf(await grant(parent, teen, again, code))).toEqual(['CONSENT_CODE_INVALID']);
    expect((await grant(parent, teen, again, fresh)).errors).toBeUndefined();
    expect(await teenScopes(teen.user.id)).toEqual(['FULL']);
  });

  it('concurrent guesses are counted one by one: 12 at once evaluate at most 5, and the request ends LOCKED', async () => {
    const teen = await teenWaiting();
    const requestId = await ask(teen, teen.contact);
    const code = codeIn(smtp.to(teen.contact)[0]);
    const guessers = await Promise.all(Array.from({ length: 12 }, () => parentAccount()));
    const results = await Promise.all(guessers.map((g, i) => grant(g, teen, requestId, `${String(i).padStart(5, '1')}-WWWWW`)));
    const codes = results.flatMap(codesOf);
    expect(codes.filter((c) => c === 'CONSENT_CODE_INVALID')).toHaveLength(4);
    expect(codes.filter((c) => c === 'CONSENT_REQUEST_LOCKED')).toHaveLength(8);
    expect(await requestRow(requestId)).toMatchObject({ status: 'LOCKED', failedAttempts: 5 });
    expect(codesOf(await grant(guessers[0], teen, requestId, code))).toEqual(['CONSENT_REQUEST_LOCKED']);
  });

  it('an expired code is refused (CONSENT_CODE_EXPIRED); the expiry follows CONSENT_CODE_TTL_HOURS (default 72)', async () => {
    const teen = await teenWaiting();
    const before = Date.now();
    const requestId = await ask(teen, teen.contact);
    const code = codeIn(smtp.to(teen.contact)[0]);
    const row = await requestRow(requestId);
    expect(row.codeExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + 72 * 3600_000 - 1000);
    expect(row.codeExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 72 * 3600_000 + 1000);
    expect(smtp.to(teen.contact)[0].text).toContain('72 heures');
    await api.prisma.parentalAuthorizationRequest.update({ where: { id: row.id }, data: { codeExpiresAt: new Date(Date.now() - 1000) } });
    const parent = await parentAccount();
    const r = await grant(parent, teen, requestId, code);
    expect(codesOf(r)).toEqual(['CONSENT_CODE_EXPIRED']);
    expect(await requestRow(requestId)).toMatchObject({ status: 'EXPIRED' });
    expect(codesOf(await grant(parent, teen, requestId, code))).toEqual(['CONSENT_CODE_EXPIRED']);
    expect(await teenScopes(teen.user.id)).toEqual(['PENDING_CONSENT']);
    // Asking again gives a new request and a new mail.
    const again = await ask(teen, teen.contact);
    expect(again).not.toBe(requestId);
    expect((await grant(parent, teen, again, codeIn(smtp.to(teen.contact)[1]))).errors).toBeUndefined();

    // Configurable: a one-hour code.
    const short = createTestApp(api.db, { SMTP_URL: smtp.url, CONSENT_CODE_TTL_HOURS: '1' });
    const other = await teenWaiting();
    const started = Date.now();
    const r2 = await short.gql(REQUEST, { c: other.contact }, { token: other.token });
    const row2 = await requestRow(r2.data.requestParentalAuthorization.authorizationRequest.id);
    expect(Math.abs(row2.codeExpiresAt!.getTime() - (started + 3600_000))).toBeLessThan(5000);
  });

  it('asking again while a code is still valid sends nothing new; an expired open request is replaced', async () => {
    const teen = await teenWaiting();
    const first = await ask(teen, teen.contact);
    expect(await ask(teen, teen.contact)).toBe(first);
    expect(smtp.to(teen.contact)).toHaveLength(1);
    await api.prisma.parentalAuthorizationRequest.update({ where: { id: (await requestRow(first)).id }, data: { codeExpiresAt: new Date(Date.now() - 1) } });
    const second = await ask(teen, teen.contact);
    expect(second).not.toBe(first);
    expect((await requestRow(first)).status).toBe('EXPIRED');
    expect(smtp.to(teen.contact)).toHaveLength(2);
  });

  it('a mail server refusing mail loses nothing: the request succeeds, the outbox retries, and the code then works', async () => {
    const teen = await teenWaiting();
    smtp.refuse(true);
    let requestId: string;
    try {
      requestId = await ask(teen, teen.contact);
      expect(smtp.to(teen.contact)).toHaveLength(0);
      const [row] = await api.prisma.notificationOutbox.findMany({ where: { requestId: (await requestRow(requestId)).id } });
      expect(row).toMatchObject({ kind: 'PARENTAL_CONSENT_CODE', attempts: 1 });
      expect(row.lastError).toMatch(/451|busy/i);
      // Still refusing: a pass fails again and the row stays.
      await api.prisma.notificationOutbox.update({ where: { id: row.id }, data: { nextAttemptAt: new Date(0) } });
      const deps = { db: api.db, notifier: api.app.services.notifier, log: api.app.services.log, config: api.config };
      expect(await processNotificationOutbox(deps)).toEqual({ claimed: 1, completed: 0, failed: 1 });
      expect((await api.prisma.notificationOutbox.findUniqueOrThrow({ where: { id: row.id } })).attempts).toBe(2);
      smtp.refuse(false);
      await api.prisma.notificationOutbox.update({ where: { id: row.id }, data: { nextAttemptAt: new Date(0) } });
      expect(await processNotificationOutbox(deps)).toEqual({ claimed: 1, completed: 1, failed: 0 });
    } finally {
      smtp.refuse(false);
    }
    expect(await api.prisma.notificationOutbox.count({ where: { requestId: (await requestRow(requestId)).id } })).toBe(0);
    const mails = smtp.to(teen.contact);
    expect(mails).toHaveLength(1);
    expect((await grant(await parentAccount(), teen, requestId, codeIn(mails[0]))).errors).toBeUndefined();
  });

  it('a stopped mail server: the worker started by the server keeps retrying and delivers once one listens again', async () => {
    const teen = await teenWaiting();
    const down = await startSmtpServer();
    const url = down.url;
    await down.close();
    const app = createTestApp(api.db, { SMTP_URL: url, MAIL_TIMEOUT_MS: '500', OUTBOX_RETRY_INTERVAL_MS: '10' });
    const r = await app.gql(REQUEST, { c: teen.contact }, { token: teen.token });
    expect(r.errors).toBeUndefined();
    const id = (await requestRow(r.data.requestParentalAuthorization.authorizationRequest.id)).id;
    expect((await api.prisma.notificationOutbox.findUniqueOrThrow({ where: { requestId: id } })).lastError).toMatch(/ECONNREFUSED|connect/i);
    // The same port listening again: the next passes deliver.
    const port = Number(new URL(url).port);
    const back = await startSmtpServer(port);
    const worker = startNotificationWorker({ db: api.db, notifier: app.app.services.notifier, log: app.app.services.log, config: app.config }, { intervalMs: 10 });
    try {
      await api.prisma.notificationOutbox.update({ where: { requestId: id }, data: { nextAttemptAt: new Date(0) } });
      const end = Date.now() + 10_000;
      // The mail arrives before the worker deletes its row (it waits for the server's reply): wait for both.
      const owed = () => api.prisma.notificationOutbox.count({ where: { requestId: id } });
      while ((back.to(teen.contact).length === 0 || (await owed()) > 0) && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    } finally {
      await worker.stop();
      await back.close();
    }
    expect(back.to(teen.contact)).toHaveLength(1);
    expect(await api.prisma.notificationOutbox.count({ where: { requestId: id } })).toBe(0);
  });

  it('mails are written in the request\'s language, from localized content: each of the six, the teen\'s by default, French otherwise', async () => {
    const subjects = JSON.parse(await readFile(new URL('../content/localized/ui_messages.json', import.meta.url), 'utf8')) as Record<string, { PARENT: Record<string, string> }>;
    for (const lang of ['fr', 'en', 'es', 'it', 'de', 'pt']) {
      const teen = await teenWaiting(lang === 'fr' ? 'en' : 'fr');
      await ask(teen, teen.contact, lang);
      const [mail] = smtp.to(teen.contact);
      expect(mail.subject, lang).toBe(subjects[lang].PARENT['mail.parental_consent.subject']);
      expect(mail.headers).toMatch(new RegExp(`^Content-Language: ${lang}`, 'm'));
      expect(codeIn(mail)).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    }
    const german = await teenWaiting('de');
    await ask(german, german.contact);
    expect(smtp.to(german.contact)[0].subject).toBe(subjects.de.PARENT['mail.parental_consent.subject']);
    for (const language of [null, 'ja']) {
      const teen = await teenWaiting(language);
      await ask(teen, teen.contact);
      expect(smtp.to(teen.contact)[0].subject).toBe(subjects.fr.PARENT['mail.parental_consent.subject']);
    }
    // An operator's edit of the content (upsertLocalizedContent writes these rows) wins over the files.
    await api.prisma.localizedContent.create({ data: { category: 'UI_MESSAGES', language: 'it', variant: 'PARENT', key: 'mail.parental_consent.subject', value: 'Consenso: {code}?' } });
    const italian = await teenWaiting('it');
    await ask(italian, italian.contact);
    const [mail] = smtp.to(italian.contact);
    expect(mail.subject).toBe(`Consenso: ${codeIn(mail)}?`);
  });

  it('hostile input: an over-long code is BAD_USER_INPUT and not counted; another teenager\'s request is NOT_FOUND; at most 3 open requests', async () => {
    const teen = await teenWaiting();
    const requestId = await ask(teen, teen.contact);
    const parent = await parentAccount();
    expect(codesOf(await grant(parent, teen, requestId, 'X'.repeat(65)))).toEqual(['BAD_USER_INPUT']);
    // A NUL can be in no code: the input rule (issue 11) refuses it before the resolver, uncounted.
    const nul = await grant(parent, teen, requestId, 'AAAAA\u0000AAAAA');
    expect(codesOf(nul)).toEqual(['BAD_USER_INPUT']);
    expect((await requestRow(requestId)).failedAttempts).toBe(0);
    // The right code for the wrong teenager, and a request id of the wrong type.
    const other = await teenWaiting();
    const code = codeIn(smtp.to(teen.contact)[0]);
    const crossed = await grant(parent, other, requestId, code);
    expect(codesOf(crossed)).toEqual(['NOT_FOUND']);
    expect(codesOf(await grant(parent, teen, teen.gid, code))).toEqual(['BAD_USER_INPUT']);
    expect(await teenScopes(other.user.id)).toEqual(['PENDING_CONSENT']);

    // Flooding addresses: a fourth open request is refused and mails no one.
    await ask(teen, `second-${teen.contact}`);
    await ask(teen, `third-${teen.contact}`);
    const fourth = await api.gql(REQUEST, { c: `fourth-${teen.contact}` }, { token: teen.token });
    expect(codesOf(fourth)).toEqual(['CONFLICT']);
    expect(fourth.errors![0].extensions!.reason).toBe('TOO_MANY_OPEN_REQUESTS');
    expect(smtp.to(`fourth-${teen.contact}`)).toHaveLength(0);
    // Asking again for an address already asked still answers its request.
    expect(await ask(teen, teen.contact)).toBe(requestId);
  });

  it('a parent who manages a collective the teen belongs to still grants directly, with no request or code', async () => {
    const teen = await teenWaiting();
    const owner = await createUser(api.prisma, { userType: 'PARENT' });
    await createCollective(api.prisma, [{ userId: owner.id, role: 'OWNER' }, { userId: teen.user.id, role: 'MEMBER' }]);
    const { token } = await createSession(api.prisma, owner.id, 'FULL');
    expect((await grant({ token }, teen, null)).errors).toBeUndefined();
    expect(await teenScopes(teen.user.id)).toEqual(['FULL']);
  });

  it('without SMTP_URL the development mailbox keeps the mail: operators with notifications:read read it, nobody else', async () => {
    const local = createTestApp(api.db);
    const teen = await teenWaiting();
    const r = await local.gql(REQUEST, { c: teen.contact.toUpperCase() }, { token: teen.token });
    expect(r.errors).toBeUndefined();
    expect(smtp.to(teen.contact)).toHaveLength(0);
    const MAILBOX = `query($to: String, $first: Int) { mailbox(recipient: $to, first: $first) { recipient language subject text kind createdAt } }`;
    const reader = await createApiKey(api.prisma, ['notifications:read']);
    const read = await local.gql(MAILBOX, { to: teen.contact.toUpperCase() }, { apiKey: reader.key });
    expect(read.errors).toBeUndefined();
    expect(read.data.mailbox).toHaveLength(1);
    expect(read.data.mailbox[0]).toMatchObject({ recipient: teen.contact, language: 'fr', kind: 'PARENTAL_CONSENT_CODE' });
    const code = codeIn({ to: [], subject: '', headers: '', text: read.data.mailbox[0].text });
    expect((await grant(await parentAccount(), teen, r.data.requestParentalAuthorization.authorizationRequest.id, code)).errors).toBeUndefined();

    const other = await createApiKey(api.prisma, ['users:read']);
    expect(codesOf(await local.gql(MAILBOX, {}, { apiKey: other.key }))).toEqual(['FORBIDDEN']);
    expect(codesOf(await local.gql(MAILBOX, {}, { token: teen.token }))).toEqual(['FORBIDDEN']);
    expect(codesOf(await local.gql(MAILBOX, {}))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await local.gql(MAILBOX, { first: 101 }, { apiKey: reader.key }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await local.gql(MAILBOX, { first: 0 }, { apiKey: reader.key }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await local.gql(MAILBOX, { to: 'a\u0000b' }, { apiKey: reader.key }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await local.gql(MAILBOX, { to: 'x'.repeat(256) }, { apiKey: reader.key }))).toEqual(['BAD_USER_INPUT']);
  });
});

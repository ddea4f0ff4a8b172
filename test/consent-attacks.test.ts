// Attacks on verifiable parental consent (issue 9, review a9): a slow mail server, code formats,
// the attempt counter across repeated requests.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { deliverConsentCode, processNotificationOutbox } from '../src/notifications/outbox.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createSession, createUser, gid, rawId } from './factories/index.ts';
import { codeIn, startSmtpServer, type SmtpTestServer } from './helpers/smtp.ts';

const GRANT = `mutation($t: ID!, $r: ID, $code: String) { grantParentalConsent(input: { teenagerId: $t, requestId: $r, code: $code }) { teenager { id } } }`;
const REQUEST = `mutation($c: String!) { requestParentalAuthorization(input: { parentContact: $c }) { authorizationRequest { id status } } }`;

describe(`consent codes under attack (${dbKind})`, () => {
  let smtp: SmtpTestServer;
  const api = useTestApp(async () => {
    smtp = await startSmtpServer();
    return { poolMax: 20, env: { SMTP_URL: smtp.url, MAIL_TIMEOUT_MS: '1000', OUTBOX_RETRY_INTERVAL_MS: '10' } };
  });
  afterAll(() => smtp?.close());

  let n = 0;
  async function teenWaiting() {
    n++;
    const user = await api.prisma.user.create({ data: { userType: 'TEENAGER', language: 'fr' } });
    await api.prisma.userConsent.create({ data: { userId: user.id } });
    const { token } = await createSession(api.prisma, user.id, 'PENDING_CONSENT');
    return { user, token, gid: gid('User', user.id), contact: `attack-${n}-${user.id.slice(0, 6)}@example.org` };
  }
  async function parentAccount() {
    const user = await createUser(api.prisma, { userType: 'PARENT' });
    await api.prisma.userConsent.create({ data: { userId: user.id } });
    return { user, token: (await createSession(api.prisma, user.id, 'FULL')).token };
  }
  async function ask(teen: { token: string }, contact: string) {
    const r = await api.gql(REQUEST, { c: contact }, { token: teen.token });
    expect(r.errors).toBeUndefined();
    return r.data.requestParentalAuthorization.authorizationRequest.id as string;
  }
  const grant = (as: { token: string }, teen: { gid: string }, requestId: string, code?: string) => api.gql(GRANT, { t: teen.gid, r: requestId, code }, { token: as.token });
  const requestRow = (requestId: string) => api.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ where: { id: rawId(requestId) } });
  const waitFor = async (cond: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  };

  it('a stranger parent with a request id and a code: an unrelated teenager and a missing one cost the same statements', async () => {
    const stranger = await parentAccount();
    const teen = await teenWaiting();
    const requestId = gid('ParentalAuthorizationRequest', randomUUID());
    const hidden = await grant(stranger, teen, requestId, 'ABCD-EFGH');
    const missing = await grant(stranger, { gid: gid('User', randomUUID()) }, requestId, 'ABCD-EFGH');
    const parentInstead = await grant(stranger, { gid: gid('User', stranger.user.id) }, requestId, 'ABCD-EFGH');
    for (const r of [hidden, missing, parentInstead]) expect(codesOf(r)).toEqual(['NOT_FOUND']);
    expect(hidden.errors).toEqual(missing.errors);
    expect(hidden.sql).toBe(missing.sql);
    expect(parentInstead.sql).toBe(missing.sql);
  });

  it('a slow mail server that delivers after the timeout: every code the parent received for the open request works', async () => {
    const teen = await teenWaiting();
    smtp.slow(2500);
    let requestId: string;
    try {
      requestId = await ask(teen, teen.contact);
      // The first mail reached the server but was answered late: the outbox believes it failed.
      await waitFor(() => smtp.to(teen.contact).length === 1);
      expect((await api.prisma.notificationOutbox.findUniqueOrThrow({ where: { requestId: rawId(requestId) } })).attempts).toBe(1);
    } finally {
      smtp.slow(0);
    }
    // The retry sends a second mail.
    await api.prisma.notificationOutbox.update({ where: { requestId: rawId(requestId) }, data: { nextAttemptAt: new Date(0) } });
    const deps = { db: api.db, notifier: api.app.services.notifier, log: api.app.services.log, config: api.config };
    expect(await processNotificationOutbox(deps)).toEqual({ claimed: 1, completed: 1, failed: 0 });
    const mails = smtp.to(teen.contact);
    expect(mails).toHaveLength(2);
    // The parent reads the first mail they got: its code must not have been silently replaced.
    const parent = await parentAccount();
    const r = await grant(parent, teen, requestId, codeIn(mails[0]));
    expect(r.errors).toBeUndefined();
    expect(await requestRow(requestId)).toMatchObject({ status: 'GRANTED', failedAttempts: 0 });
  });

  it('the codes of the last four mails of an open request work, not older ones, and never another request\'s', async () => {
    const teen = await teenWaiting();
    const requestId = await ask(teen, teen.contact);
    const deps = { db: api.db, notifier: api.app.services.notifier, log: api.app.services.log, config: api.config };
    for (let i = 0; i < 4; i++) expect(await deliverConsentCode(deps, rawId(requestId))).toBe('sent');
    const codes = smtp.to(teen.contact).map(codeIn);
    expect(new Set(codes).size).toBe(5);
    expect((await requestRow(requestId)).earlierCodeHashes).toHaveLength(3);
    const other = await teenWaiting();
    const otherRequest = await ask(other, other.contact);
    const parent = await parentAccount();
    expect(codesOf(await grant(parent, other, otherRequest, codes[4]))).toEqual(['CONSENT_CODE_INVALID']);
    expect(codesOf(await grant(parent, teen, requestId, codes[0]))).toEqual(['CONSENT_CODE_INVALID']);
    expect((await grant(parent, teen, requestId, codes[1])).errors).toBeUndefined();
  });

  it('code formats: Crockford confusables and loose typing grant; NUL, other alphabets, 1 MB never do and never crash', async () => {
    const teen = await teenWaiting();
    const requestId = await ask(teen, teen.contact);
    // On a loaded machine the mail may reach the server after the sender's timeout: wait for it.
    await waitFor(() => smtp.to(teen.contact).length > 0);
    const code = codeIn(smtp.to(teen.contact)[0]);
    const guesser = await parentAccount();
    expect(codesOf(await grant(guesser, teen, requestId, 'x'.repeat(1 << 20)))).toEqual(['BAD_USER_INPUT']);
    // NUL is refused before any code is looked at (src/input/rules.ts): not counted.
    expect(codesOf(await grant(guesser, teen, requestId, `${code}\u0000`))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await grant(guesser, teen, requestId, code.replace(/[0-9A-Z]/, 'é')))).toEqual(['CONSENT_CODE_INVALID']);
    expect((await requestRow(requestId)).failedAttempts).toBe(1);
    // Re-asking to the same address while the code is valid neither resets the count nor mails again.
    expect(await ask(teen, teen.contact.toUpperCase())).toBe(requestId);
    expect(smtp.to(teen.contact)).toHaveLength(1);
    expect((await requestRow(requestId)).failedAttempts).toBe(1);
    // O for 0, I and L for 1, lower case, no dash, tabs around: the same code.
    const loose = `\t${code.replace('-', '').toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l')}\n`;
    const parent = await parentAccount();
    expect((await grant(parent, teen, requestId, loose)).errors).toBeUndefined();
  });
});

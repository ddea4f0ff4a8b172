// Rate limits on the abuse-prone operations, in one process (memory counters): per client address
// and per user or account, RATE_LIMITED with HTTP 429, Retry-After and extensions.retryAfterSeconds,
// refused before any work. Shared counters across instances (Redis) are proven in
// test/subscriptions-cluster.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { createSession, createUser } from './factories/index.ts';
import { loadConfig } from '../src/config.ts';

const SIGN_IN = /* GraphQL */ `mutation($input: SignInInput!) { signIn(input: $input) { created } }`;
const PREVIEW = /* GraphQL */ `query($token: String!) { invitationPreview(token: $token) { collectiveName } }`;
const ACCEPT = /* GraphQL */ `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { alreadyMember } }`;

describe(`rate limits (${dbKind})`, () => {
  let db: TestDatabase;
  let api: ReturnType<typeof createTestApp>;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = createTestApp(db, {
      RATE_LIMIT_SIGN_IN_PER_USER: '2',
      RATE_LIMIT_SIGN_IN_PER_IP: '4',
      RATE_LIMIT_INVITATION_PREVIEW_PER_IP: '2',
      RATE_LIMIT_ACCEPT_INVITATION_PER_USER: '1',
      RATE_LIMIT_WINDOW_SECONDS: '120',
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('signIn: per account signed into, then per client address; the refusal is a 429 with Retry-After and no write', async () => {
    const signIn = (loginId: string, remoteAddress = '198.51.100.1') =>
      api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId, origin: 'test' } }, { remoteAddress });
    expect(codesOf(await signIn('alice'))).toEqual([]);
    expect(codesOf(await signIn('alice'))).toEqual([]);
    const users = await db.prisma.user.count();
    const refused = await signIn('alice');
    expect(refused.status).toBe(429);
    expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
    const retryAfter = refused.errors![0].extensions!.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(refused.sql).toBe(0);
    expect(await db.prisma.user.count()).toBe(users);
    // Another account from the same address still has budget, until the address's own runs out (4).
    expect(codesOf(await signIn('bob'))).toEqual([]);
    expect(codesOf(await signIn('carol'))).toEqual(['RATE_LIMITED']);
    // Another address, another account: untouched.
    expect(codesOf(await signIn('dave', '198.51.100.2'))).toEqual([]);
  });

  it('the HTTP reply carries Retry-After, equal to extensions.retryAfterSeconds', async () => {
    const ask = () =>
      api.app.yoga.fetch(
        'http://test.local/graphql',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: PREVIEW, variables: { token: 'y'.repeat(32) } }) },
        { req: { socket: { remoteAddress: '203.0.113.9' } } },
      );
    for (let i = 0; i < 2; i++) expect((await ask()).status).toBe(200);
    const res = await ask();
    const body = (await res.json()) as { data: unknown; errors: { extensions: { code: string; retryAfterSeconds: number } }[] };
    expect(res.status).toBe(429);
    expect(body.data).toEqual({ invitationPreview: null });
    expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(res.headers.get('retry-after')).toBe(String(body.errors[0].extensions.retryAfterSeconds));
  });

  it('acceptInvitation is budgeted per user: another user from the same address is not affected', async () => {
    const [u1, u2] = [await createUser(db.prisma), await createUser(db.prisma)];
    const [s1, s2] = [await createSession(db.prisma, u1.id, 'FULL'), await createSession(db.prisma, u2.id, 'FULL')];
    const accept = (token: string) => api.gql(ACCEPT, { input: { token: 'z'.repeat(32) } }, { token, remoteAddress: '192.0.2.50' });
    expect(codesOf(await accept(s1.token))).toEqual(['NOT_FOUND']);
    expect(codesOf(await accept(s1.token))).toEqual(['RATE_LIMITED']);
    expect(codesOf(await accept(s2.token))).toEqual(['NOT_FOUND']);
  });

  it('a limit of 0 turns it off; a bad value names its variable', () => {
    expect(loadConfig({ RATE_LIMIT_SIGN_IN_PER_IP: '0' }).rateLimits.signIn.perIp).toBe(0);
    expect(() => loadConfig({ RATE_LIMIT_SIGN_IN_PER_IP: '-1' })).toThrow(/RATE_LIMIT_SIGN_IN_PER_IP/);
  });
});

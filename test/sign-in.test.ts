import { describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp, useTestApp } from './helpers/app.ts';
import { hashToken } from '../src/auth/tokens.ts';
import { createSession, createUser } from './factories/index.ts';

const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) { token created session { scope origin current } user { id userType language } }
  }
`;

describe(`signIn (${dbKind})`, () => {
  const api = useTestApp();

  it('registers a new user in ONBOARDING and returns the token once, storing only its hash', async () => {
    const r = await api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId: 'new-teen', origin: 'web_react', language: 'fr' } });
    expect(r.errors).toBeUndefined();
    const out = r.data.signIn;
    expect(out.created).toBe(true);
    expect(out.session).toEqual({ scope: 'ONBOARDING', origin: 'web_react', current: true });
    expect(out.user).toMatchObject({ userType: 'TEENAGER', language: 'fr' });
    const sessions = await api.prisma.appSession.findMany();
    expect(sessions).toHaveLength(1);
    expect(sessions[0].tokenHash).toBe(hashToken(out.token));
    expect(JSON.stringify(sessions)).not.toContain(out.token);
    const me = await api.gql('{ me { id } }', {}, { token: out.token });
    expect(me.data.me.id).toBe(out.user.id);
  });

  it('finds the same user on the next sign-in', async () => {
    const a = await api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId: 'again', origin: 'web_react' } });
    const b = await api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId: 'again', origin: 'discord' } });
    expect(b.data.signIn.created).toBe(false);
    expect(b.data.signIn.user.id).toBe(a.data.signIn.user.id);
  });

  it('concurrent first sign-ins of one login make one user', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId: 'racer', origin: 'web_react' } })),
    );
    expect(results.flatMap(codesOf)).toEqual([]);
    expect(new Set(results.map((r) => r.data.signIn.user.id)).size).toBe(1);
    expect(await api.prisma.idpLogin.count({ where: { loginId: 'racer' } })).toBe(1);
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const before = await api.prisma.user.count();
    const r = await api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId: '  ', origin: 'web react!' } });
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    expect(await api.prisma.user.count()).toBe(before);
  });

  it('refuses the mock identity provider in production', async () => {
    const prod = createTestApp(api.db, { APP_ENV: 'production' });
    const r = await prod.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId: 'prod', origin: 'web_react' } });
    expect(codesOf(r)).toEqual(['FORBIDDEN']);
    expect(r.errors![0].message).toBe('The mock identity provider is disabled on this server');
    expect(r.data ?? null).toBeNull();
  });

  it('an unknown or expired token is UNAUTHENTICATED', async () => {
    const r = await api.gql('{ me { id } }', {}, { token: 'x'.repeat(43) });
    expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
  });
});

describe(`sessions over time (${dbKind})`, () => {
  const api = useTestApp({ env: { SESSION_TOUCH_INTERVAL_SECONDS: '60' } });

  it('an expired token is UNAUTHENTICATED', async () => {
    const user = await createUser(api.prisma);
    const { token } = await createSession(api.prisma, user.id, 'FULL', -1000);
    expect(codesOf(await api.gql('{ me { id } }', {}, { token }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refreshes lastActiveAt and lastSeenAt when stale, and at most once per interval', async () => {
    const user = await createUser(api.prisma);
    const { token, session } = await createSession(api.prisma, user.id);
    const stale = new Date(Date.now() - 3600_000);
    await api.prisma.appSession.update({ where: { id: session.id }, data: { lastActiveAt: stale } });
    await api.gql('{ me { id } }', {}, { token });
    const touched = await api.prisma.appSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(touched.lastActiveAt.getTime()).toBeGreaterThan(stale.getTime());
    expect((await api.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).lastSeenAt).not.toBeNull();
    const again = await api.gql('{ me { id } }', {}, { token });
    expect(again.sqlLog.filter((s) => /^UPDATE/i.test(s))).toEqual([]);
    expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: session.id } })).lastActiveAt).toEqual(touched.lastActiveAt);
  });
});
